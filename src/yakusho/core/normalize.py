"""Normalisation of Japanese input before validation (forms, bookings, any resident input).

Every value goes through :func:`normalize_text` (NFKC: 全角英数 → 半角, 半角カナ → 全角, and
trimmed; control characters removed). Phone numbers, postal codes and numbers also map every
hyphen-like character (ー－‐‑‒–—―−﹣ and the like) to ``-``. Each function is idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

#: characters residents type for a hyphen in numbers (after NFKC; － and ﹣ become "-" already)
HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u30fc\u2500\u2501\ufe58\uff70"
_HYPHEN_RE = re.compile(f"[{re.escape(HYPHENS)}]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_SPACES_RE = re.compile(r"\s+")


def _once(value: str, *, multiline: bool) -> str:
    text = unicodedata.normalize("NFKC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_RE.sub("", text)
    if not multiline:
        text = _SPACES_RE.sub(" ", text)
    else:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text.strip()


def _stable(step: Callable[[str], str], value: str) -> str:
    """Apply ``step`` until nothing changes: NFKC is stable, but removing characters (spaces,
    hyphens) can bring a base letter and a combining mark together, which NFKC then composes."""
    text = step(value)
    for _ in range(5):
        again = step(text)
        if again == text:
            break
        text = again
    return text


def normalize_text(value: str, *, multiline: bool = False) -> str:
    """NFKC, control characters removed, trimmed; runs of whitespace become one space unless
    ``multiline`` (then line ends are kept and trailing spaces dropped)."""
    return _stable(lambda text: _once(text, multiline=multiline), value)


def normalize_digits(value: str) -> str:
    """For phone numbers and postal codes: NFKC, hyphens unified to ``-``, spaces, brackets and
    〒 removed."""
    return _stable(lambda text: re.sub(r"[\s()〒]", "", _HYPHEN_RE.sub("-", normalize_text(text))), value)


def normalize_number(value: str) -> str:
    """For numbers: NFKC, hyphen-like minus signs unified, thousands separators and spaces removed."""
    return _stable(lambda text: re.sub(r"[\s,、]", "", _HYPHEN_RE.sub("-", normalize_text(text))), value)


_DIGIT_HYPHEN_RE = re.compile(f"(?<=[0-9])[{re.escape(HYPHENS)}](?=[0-9])")


def normalize_address(value: str) -> str:
    """For addresses: NFKC, and a hyphen-like character between digits (882−1, ８８２ー１) → ``-``;
    ー in words (センター) is kept."""
    return _stable(lambda text: _DIGIT_HYPHEN_RE.sub("-", normalize_text(text)), value)


_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_KANA_HYPHEN_RE = re.compile(f"(?<=[\u30a1-\u30fa\u30fc])[{re.escape(HYPHENS)}]")
_KANA_RE = re.compile(r"^[\u30a1-\u30f6\u30fc\u30fd\u30fe\u30f7-\u30fa・ ]+$")


def normalize_kana(value: str) -> str:
    """フリガナ: NFKC (半角カナ → 全角), ひらがな → カタカナ, a hyphen after kana → ー,
    全角 spaces → one space."""
    return _stable(
        lambda text: _KANA_HYPHEN_RE.sub("ー", normalize_text(text).translate(_HIRAGANA_TO_KATAKANA)), value
    )


def is_katakana(value: str) -> bool:
    return bool(_KANA_RE.match(value))


_POSTAL_RE = re.compile(r"^(\d{3})-?(\d{4})$")


def postal_code(value: str) -> str | None:
    """``NNN-NNNN`` from any width and hyphen form (〒１２３ー４５６７ → 123-4567), else None."""
    m = _POSTAL_RE.match(normalize_digits(value))
    return f"{m[1]}-{m[2]}" if m else None


_MOBILE_PREFIXES = ("070", "080", "090")
_ELEVEN_DIGIT_PREFIXES = ("020", "050", "060", "070", "080", "090", "0800")


def phone_number(value: str, *, mobile_only: bool = False) -> str | None:
    """A Japanese phone number, normalised, else None.

    Accepts 10 digits (固定電話 0X-XXXX-XXXX in any grouping, 0120, 0570) and 11 digits (携帯
    070/080/090, IP 050, 020, 0800), with or without hyphens or brackets, and +81 for the leading
    0. The resident's own grouping is kept when it has three groups; otherwise 11-digit numbers
    are grouped 3-4-4, 0120/0570 numbers 4-3-3, and others are returned as digits.
    """
    text = normalize_digits(value)
    if text.startswith("+81"):
        text = "0" + text[3:].lstrip("-")
    if not re.fullmatch(r"[0-9-]+", text) or "--" in text or text.startswith("-") or text.endswith("-"):
        return None
    digits = text.replace("-", "")
    if not digits.startswith("0") or digits.startswith("00"):
        return None
    if len(digits) == 11:
        if not digits.startswith(_ELEVEN_DIGIT_PREFIXES):
            return None
    elif len(digits) == 10:
        if digits.startswith(_ELEVEN_DIGIT_PREFIXES):
            return None
    else:
        return None
    if mobile_only and not digits.startswith(_MOBILE_PREFIXES):
        return None
    groups = text.split("-")
    if len(groups) == 3:
        return text
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if digits.startswith(("0120", "0570")):
        return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}"
    return digits


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")


def email_address(value: str) -> str | None:
    """An e-mail address (NFKC, so 全角 ＠ works), domain lower-cased, else None."""
    text = normalize_text(value).replace(" ", "")
    if len(text) > 254 or not _EMAIL_RE.match(text):
        return None
    local, _at, domain = text.rpartition("@")
    if len(local) > 64 or ".." in local or local.startswith(".") or local.endswith("."):
        return None
    return f"{local}@{domain.lower()}"
