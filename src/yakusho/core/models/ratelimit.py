"""Rate-limit counters (django-ratelimit), one row per client and window, shared by every process."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCounter(models.Model):
    """A counter of ``yakusho.core.ratecounter.RateCounterCache``: requests of one key in one window.

    ``expires`` is in Unix seconds (an integer compares the same way on every database)."""

    key = models.CharField(_("キー"), max_length=250, primary_key=True)
    count = models.BigIntegerField(_("回数"), default=0)
    expires = models.BigIntegerField(_("期限（UNIX時刻）"), db_index=True)

    class Meta:
        verbose_name = _("アクセス回数の制限カウンタ")
        verbose_name_plural = _("アクセス回数の制限カウンタ")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
