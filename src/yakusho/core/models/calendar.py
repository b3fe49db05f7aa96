from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core import jcal
from yakusho.core.models.tenancy import Municipality, TenantOwned


class Closure(TenantOwned):
    """A day the municipality's offices are closed on top of weekends, holidays and 年末年始."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="closures"
    )
    date = models.DateField(_("閉庁日"))
    reason = models.CharField(_("理由"), max_length=100)

    class Meta:
        verbose_name = _("臨時閉庁日")
        verbose_name_plural = _("臨時閉庁日")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "date"],
                name="closure_unique_date",
                violation_error_message=_("この日はすでに閉庁日として登録されています。"),
            )
        ]

    def __str__(self) -> str:
        return f"{jcal.format_date(self.date)} {self.reason}"
