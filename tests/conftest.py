"""Shared fixtures. Factories are seeded (factory_boy's random and Faker) so a failing run repeats."""

from __future__ import annotations

import os

import factory.random
import pytest
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile("ci", max_examples=30, deadline=None)
hypothesis_settings.register_profile("dev", max_examples=150, deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

SEED = int(os.environ.get("YAKUSHO_TEST_SEED", "20261123"))


@pytest.fixture(autouse=True)
def _seeded_factories() -> None:
    factory.random.reseed_random(SEED)


@pytest.fixture(autouse=True)
def _fresh_page_cache() -> None:
    """Rendered pages are cached per process; each test starts without them."""
    from django.core.cache import caches

    caches["pages"].clear()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path_factory) -> None:
    """Uploaded files go to a temporary folder, never into the working tree's var/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def demo(db):
    """The demo data of `yakusho demo`, loaded into the test database."""
    from django.core.management import call_command

    call_command("demo", quiet_logins=True, core_only=True, verbosity=0)


@pytest.fixture
def demo_with_plans(db):
    """The demo data with the five source plans imported."""
    from django.core.management import call_command

    call_command("demo", quiet_logins=True, verbosity=0)


@pytest.fixture
def demo_with_reviews(demo_with_plans):
    """The demo data with the plans and the demo's yearly reviews (as `make run` loads them)."""
    from yakusho.plans.demo_reviews import load_demo_reviews

    load_demo_reviews()
