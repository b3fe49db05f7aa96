"""Validators for Japanese public-sector identifiers and normalised input."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_CODE_WEIGHTS = (6, 5, 4, 3, 2)


def municipality_check_digit(first_five: str) -> int:
    """Check digit of a 全国地方公共団体コード (weights 6..2, modulus 11, last digit of 11 - r)."""
    total = sum(int(d) * w for d, w in zip(first_five, _CODE_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def normalize_text(value: str) -> str:
    """NFKC (全角英数→半角, 半角カナ→全角) and trimmed, as all Japanese input is before validation."""
    return unicodedata.normalize("NFKC", value).strip()


def validate_municipality_code(value: str) -> None:
    code = normalize_text(value)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise ValidationError(
            _("全国地方公共団体コードは6桁の数字で入力してください（入力: %(value)s）。"),
            code="length",
            params={"value": value},
        )
    expected = municipality_check_digit(code[:5])
    if int(code[5]) != expected:
        raise ValidationError(
            _(
                "全国地方公共団体コードの検査数字が正しくありません"
                "（%(value)s の末尾は %(expected)s のはずです）。"
            ),
            code="check_digit",
            params={"value": value, "expected": expected},
        )
