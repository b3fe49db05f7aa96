from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core.models.tenancy import Municipality, TenantOwned


class PolicyPage(TenantOwned):
    """A municipality's ウェブアクセシビリティ方針 or プライバシーポリシー, edited by its administrator."""

    class Kind(models.TextChoices):
        ACCESSIBILITY = "accessibility", _("ウェブアクセシビリティ方針")
        PRIVACY = "privacy", _("プライバシーポリシー")

    class Level(models.TextChoices):
        A = "A", _("適合レベルA")
        AA = "AA", _("適合レベルAA")
        AAA = "AAA", _("適合レベルAAA")

    class Conformance(models.TextChoices):
        CONFORMS = "conforms", _("準拠")
        PARTIAL = "partial", _("一部準拠")
        CONSIDERED = "considered", _("配慮")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="policy_pages"
    )
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    body = models.TextField(_("本文（Markdown）"), blank=True)
    target_level = models.CharField(
        _("目標とする適合レベル"), max_length=3, choices=Level.choices, default=Level.AA, blank=True
    )
    conformance = models.CharField(
        _("対応度"), max_length=12, choices=Conformance.choices, default=Conformance.CONFORMS, blank=True
    )
    tested_on = models.DateField(_("試験実施日"), null=True, blank=True)
    test_results = models.TextField(_("試験結果（Markdown）"), blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("方針ページ")
        verbose_name_plural = _("方針ページ")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "kind"], name="policy_page_unique_kind")
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.get_kind_display()}"
