"""Normalisation of form input: it lives in :mod:`yakusho.core.normalize`, shared with other apps."""

from yakusho.core.normalize import (
    HYPHENS,
    email_address,
    is_katakana,
    normalize_address,
    normalize_digits,
    normalize_kana,
    normalize_number,
    normalize_text,
    phone_number,
    postal_code,
)

__all__ = [
    "HYPHENS",
    "email_address",
    "is_katakana",
    "normalize_address",
    "normalize_digits",
    "normalize_kana",
    "normalize_number",
    "normalize_text",
    "phone_number",
    "postal_code",
]
