"""What the operator needs to keep Yakusho running: when each scheduled command last ran."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CommandRun(models.Model):
    """The last runs of one scheduled command (one row per command, updated in place).

    The readiness check (``/readyz``) compares ``last_succeeded_at`` with the command's schedule
    (:mod:`yakusho.core.scheduling`). One row per command rather than one per run: ``send-mail``
    runs every minute, and a history of every run would only grow.
    """

    name = models.CharField(_("コマンド"), max_length=60, unique=True)
    last_started_at = models.DateTimeField(_("最後の開始"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("最後の終了"), null=True, blank=True)
    last_succeeded_at = models.DateTimeField(_("最後の成功"), null=True, blank=True)
    last_failed_at = models.DateTimeField(_("最後の失敗"), null=True, blank=True)
    #: the exception's class and first line only: no personal data, no secrets
    last_error = models.CharField(_("最後のエラー"), max_length=200, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("最後の所要時間（ミリ秒）"), null=True, blank=True)
    runs = models.PositiveIntegerField(_("実行回数"), default=0)
    consecutive_failures = models.PositiveIntegerField(_("連続失敗回数"), default=0)

    class Meta:
        verbose_name = _("定期実行コマンドの記録")
        verbose_name_plural = _("定期実行コマンドの記録")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
