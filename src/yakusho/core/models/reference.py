"""National reference data: the list of local governments (全国地方公共団体コード).

Not tenant-owned: every municipality reads the same national list. ``yakusho.core.localgov``
reads and loads it; ``data/national/README.md`` says where it comes from.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LocalGovernmentKind(models.TextChoices):
    PREFECTURE = "prefecture", _("都道府県")
    CITY = "city", _("市")
    TOWN = "town", _("町")
    VILLAGE = "village", _("村")
    SPECIAL_WARD = "special_ward", _("特別区")
    DESIGNATED_WARD = "designated_ward", _("政令指定都市の区")


class LocalGovernment(models.Model):
    """One entry of the national list: a prefecture, 市, 町, 村 or 区, with its code."""

    code = models.CharField(_("全国地方公共団体コード"), max_length=6, unique=True)
    prefecture_code = models.CharField(_("都道府県コード"), max_length=2)
    name = models.CharField(_("名称"), max_length=60)
    kana = models.CharField(_("よみがな（末尾の市町村などを除く）"), max_length=80)
    kana_suffix = models.CharField(_("末尾のよみ"), max_length=10, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10)
    kind = models.CharField(_("区分"), max_length=20, choices=LocalGovernmentKind.choices)
    valid_from = models.DateField(
        _("一覧に載った日"),
        null=True,
        blank=True,
        help_text=_("空欄は最初に読み込んだ一覧から載っているもの"),
    )
    valid_to = models.DateField(_("一覧から消えた日"), null=True, blank=True)

    class Meta:
        verbose_name = _("地方公共団体（全国一覧）")
        verbose_name_plural = _("地方公共団体（全国一覧）")
        ordering = ["code"]

    def __str__(self) -> str:
        if self.kind == LocalGovernmentKind.PREFECTURE:
            return f"{self.code} {self.name}"
        return f"{self.code} {self.prefecture}{self.name}"

    @property
    def full_kana(self) -> str:
        """The reading with the suffix (おおえまち), as ``Municipality.kana`` stores it."""
        return self.kana + self.kana_suffix
