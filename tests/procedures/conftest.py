"""Fixtures shared by the procedures tests."""

from tests.procedures.submission_helpers import private_media, town  # noqa: F401
