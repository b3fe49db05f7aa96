"""Using the adapters for a municipality: their state, the switch, and a reading."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yakusho.core.models import Municipality
from yakusho.procedures.counter.readers.base import CardReader, ConfigProblem, ReaderError, ResidentIdentity
from yakusho.procedures.counter.readers.registry import NotRegistered, registry
from yakusho.procedures.models.readers import ReaderSetting


@dataclass
class ReaderState:
    """An adapter as a municipality has it: enabled or not, configured how."""

    reader: type[CardReader]
    enabled: bool
    config: dict[str, Any] = field(default_factory=dict)
    setting: ReaderSetting | None = None

    @property
    def key(self) -> str:
        return self.reader.key

    def instance(self) -> CardReader:
        return self.reader(self.config)


def reader_states(municipality: Municipality) -> list[ReaderState]:
    """Every registered adapter with the municipality's switch (one query)."""
    settings = {s.key: s for s in ReaderSetting.objects.for_municipality(municipality)}
    states = []
    for reader in registry.all():
        setting = settings.get(reader.key)
        if setting is None:
            states.append(ReaderState(reader, reader.default_enabled(municipality)))
        else:
            states.append(ReaderState(reader, setting.enabled, dict(setting.config or {}), setting))
    return states


def reader_state(municipality: Municipality, key: str) -> ReaderState:
    """One adapter's state; :class:`NotRegistered` for an unknown key."""
    reader = registry.get(key)
    setting = ReaderSetting.objects.for_municipality(municipality).filter(key=key).first()
    if setting is None:
        return ReaderState(reader, reader.default_enabled(municipality))
    return ReaderState(reader, setting.enabled, dict(setting.config or {}), setting)


def set_enabled(municipality: Municipality, key: str, enabled: bool) -> ReaderSetting:
    """Switch an adapter on or off (audited through ReaderSetting)."""
    registry.get(key)
    setting, _created = ReaderSetting.objects.get_or_create(
        municipality=municipality, key=key, defaults={"enabled": enabled}
    )
    if setting.enabled != enabled:
        setting.enabled = enabled
        setting.save(update_fields=["enabled", "updated_at"])
    return setting


def save_config(municipality: Municipality, key: str, config: dict[str, Any]) -> ReaderSetting:
    state = reader_state(municipality, key)
    setting, _created = ReaderSetting.objects.get_or_create(
        municipality=municipality, key=key, defaults={"enabled": state.enabled, "config": config}
    )
    if setting.config != config:
        setting.config = config
        setting.save(update_fields=["config", "updated_at"])
    return setting


def check(municipality: Municipality, key: str) -> list[ConfigProblem]:
    """Run the adapter's ``check_config`` with the municipality's configuration."""
    return reader_state(municipality, key).instance().check_config(municipality)


def read_identity(municipality: Municipality, key: str, request_data: Mapping[str, Any]) -> ResidentIdentity:
    """Read with an adapter the municipality has enabled; :class:`ReaderError` otherwise."""
    try:
        state = reader_state(municipality, key)
    except NotRegistered:
        raise ReaderError(_("カードリーダー「%(key)s」はありません。") % {"key": key}) from None
    if not state.enabled:
        raise ReaderError(
            _("「%(label)s」はこの団体では無効になっています。管理者に有効化を依頼してください。")
            % {"label": state.reader.label}
        )
    errors = [p for p in state.instance().check_config(municipality) if p.is_error]
    if errors:
        raise ReaderError(
            _("「%(label)s」の設定に誤りがあるため使えません：%(problems)s")
            % {"label": state.reader.label, "problems": " ".join(p.message for p in errors)}
        )
    return state.instance().read(request_data)
