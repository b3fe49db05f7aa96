"""Words that follow the municipality: 町内 in a 町, 市内 in a 市, 村内 in a 村, 区内 in a 特別区;
its head (町長・市長・村長・区長); and the phone examples of its help texts, in its own 市外局番.

A page about one municipality never shows a fixed 市 or 町 (「町内・市内に住所…」 in a 町 reads as a
mistake): it asks here. Templates use the filters of the same names (builtins, ``yakusho``
template library): ``{{ municipality|area_word }}`` → 町内, ``{{ municipality|municipality_word:"長" }}``
→ 町長, ``{{ municipality|phone_example }}`` → 0237-12-3456.

The kinds are 市・町・村 (``Municipality.kind``); a 特別区 (東京23区) has no kind of its own, so a
municipality whose name ends in 区 reads as a ward. The area code is not stored: it is read from the
municipality's 代表電話, else from its departments' numbers (the most common one). An example number
is that area code with a 市内局番 starting with 1 (0237-12-3456, 018-123-4567): no real 市内局番
starts with 0 or 1, so the example is clearly one and reaches no one. Without an area code, only
the mobile example (090-1234-5678) is shown.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core.normalize import normalize_digits

if TYPE_CHECKING:
    from yakusho.core.models import Municipality

WARD = "ward"
KINDS = ("city", "town", "village", WARD)

#: the municipality's own kind word and the words built on it, by :func:`area_kind`
WORDS: dict[str, dict[str, Any]] = {
    "": {
        "city": gettext_lazy("市"),
        "town": gettext_lazy("町"),
        "village": gettext_lazy("村"),
        WARD: gettext_lazy("区"),
    },
    "内": {
        "city": gettext_lazy("市内"),
        "town": gettext_lazy("町内"),
        "village": gettext_lazy("村内"),
        WARD: gettext_lazy("区内"),
    },
    "外": {
        "city": gettext_lazy("市外"),
        "town": gettext_lazy("町外"),
        "village": gettext_lazy("村外"),
        WARD: gettext_lazy("区外"),
    },
    "長": {
        "city": gettext_lazy("市長"),
        "town": gettext_lazy("町長"),
        "village": gettext_lazy("村長"),
        WARD: gettext_lazy("区長"),
    },
    "民": {
        "city": gettext_lazy("市民"),
        "town": gettext_lazy("町民"),
        "village": gettext_lazy("村民"),
        WARD: gettext_lazy("区民"),
    },
    "役所": {
        "city": gettext_lazy("市役所"),
        "town": gettext_lazy("町役場"),
        "village": gettext_lazy("村役場"),
        WARD: gettext_lazy("区役所"),
    },
}
#: what each word says when the kind is unknown (a municipality not saved yet, a bad kind)
UNKNOWN: dict[str, Any] = {
    "": gettext_lazy("市町村"),
    "内": gettext_lazy("市町村内"),
    "外": gettext_lazy("市町村外"),
    "長": gettext_lazy("市町村長"),
    "民": gettext_lazy("住民"),
    "役所": gettext_lazy("役所・役場"),
}

#: 10-digit numbers with these prefixes are not 市外局番 (free dial, navi dial, IP, mobile)
_NOT_AREA_CODES = ("0120", "0570", "0800", "050", "070", "080", "090", "020")
MOBILE_EXAMPLE = "090-1234-5678"


def area_kind(municipality: Municipality | None) -> str:
    """``city``, ``town``, ``village`` or ``ward`` (a 特別区: its name ends in 区); "" unknown."""
    if municipality is None:
        return ""
    if municipality.name.endswith("区"):
        return WARD
    return municipality.kind if municipality.kind in KINDS else ""


def municipality_word(municipality: Municipality | None, suffix: str = "") -> str:
    """The municipality's own word: ``""`` → 町, ``"内"`` → 町内, ``"外"`` → 町外, ``"長"`` → 町長,
    ``"民"`` → 町民, ``"役所"`` → 町役場 (市役所 in a 市). Unknown kind: 市町村, 市町村内 …"""
    if suffix not in WORDS:
        raise ValueError(f"no municipality word for {suffix!r}: one of {sorted(WORDS)}")
    kind = area_kind(municipality)
    return str(WORDS[suffix][kind] if kind else UNKNOWN[suffix])


def area_word(municipality: Municipality | None) -> str:
    """「町内」「村内」「市内」「区内」; 「市町村内」 when the kind is unknown."""
    return municipality_word(municipality, "内")


def head_title(municipality: Municipality | None) -> str:
    """「町長」「市長」「村長」「区長」."""
    return municipality_word(municipality, "長")


def full_name(municipality: Municipality) -> str:
    """The name with its prefecture, as an address starts: 山形県大江町."""
    return f"{municipality.prefecture}{municipality.name}"


def _area_code_of(phone: str) -> str:
    """The 市外局番 of a fixed-line number written in three groups (0237-62-2111 → 0237), else ""."""
    text = normalize_digits(phone or "").strip()
    groups = text.split("-")
    if len(groups) != 3 or not all(g.isdigit() for g in groups):
        return ""
    code = groups[0]
    if len("".join(groups)) != 10 or not re.fullmatch(r"0[1-9][0-9]{0,3}", code):
        return ""
    return "" if code.startswith(_NOT_AREA_CODES) else code


def area_code(municipality: Municipality | None) -> str:
    """The 市外局番 of the municipality: of its 代表電話, else the most common among its departments'
    numbers (ties: the first department's); "" when none is known."""
    if municipality is None:
        return ""
    code = _area_code_of(municipality.phone)
    if code or municipality.pk is None:
        return code
    phones = municipality.departments.exclude(phone="").values_list("phone", flat=True)
    codes = [c for c in (_area_code_of(p) for p in phones) if c]
    return Counter(codes).most_common(1)[0][0] if codes else ""


def phone_example(municipality: Municipality | None) -> str:
    """A fixed-line example in the municipality's area code: 0237-12-3456, 018-123-4567,
    03-1234-5678; "" when its area code is unknown. The 市内局番 starts with 1, which no real one
    does."""
    code = area_code(municipality)
    if not code:
        return ""
    local = "123456789"[: 6 - len(code)]
    subscriber = "123456789"[6 - len(code) : 10 - len(code)]
    return f"{code}-{local}-{subscriber}"


def phone_examples(municipality: Municipality | None) -> str:
    """「0237-12-3456、090-1234-5678」: a fixed-line example in the area code and a mobile one (only
    the mobile one when the area code is unknown)."""
    fixed = phone_example(municipality)
    if not fixed:
        return MOBILE_EXAMPLE
    return _("%(fixed)s、%(mobile)s") % {"fixed": fixed, "mobile": MOBILE_EXAMPLE}
