"""Which card-reader adapters a municipality has switched on, and their configuration."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import TenantOwned


class ReaderSetting(TenantOwned):
    """The enable switch (and configuration) of one adapter for one municipality.

    No row means the adapter's default (``CardReader.enabled_by_default``)."""

    key = models.CharField(_("アダプタ"), max_length=40)
    enabled = models.BooleanField(_("有効"), default=False)
    config = models.JSONField(_("設定（JSON）"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("カードリーダー設定")
        verbose_name_plural = _("カードリーダー設定")
        ordering = ["municipality", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "key"],
                name="reader_setting_unique_key",
                violation_error_message=_("このアダプタの設定はすでにあります。"),
            )
        ]

    def __str__(self) -> str:
        """The adapter's name (its key when it is no longer installed)."""
        from yakusho.procedures.counter.readers.registry import NotRegistered, registry

        try:
            return str(registry.get(self.key).label)
        except NotRegistered:
            return self.key


READER_MODELS = [ReaderSetting]

if not auditlog.contains(ReaderSetting):
    auditlog.register(ReaderSetting, exclude_fields=["updated_at"])

__all__ = ["READER_MODELS", "ReaderSetting"]
