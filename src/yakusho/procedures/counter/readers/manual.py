"""Manual entry: staff type the four basic items (a resident without a card, or a card that fails)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from yakusho.procedures.counter.readers.base import (
    CardReader,
    ReaderError,
    ReadProblem,
    ResidentIdentity,
    clean_items,
)
from yakusho.procedures.counter.readers.registry import registry


@registry.register
class ManualEntry(CardReader):
    key = "manual"
    label = _("手入力")
    description = _("職員が本人確認書類を見ながら、氏名・住所・生年月日・性別を入力します。")
    input_kind = "form"
    enabled_by_default = True
    config_schema = {"require_kana": bool}

    def read(self, request_data: Mapping[str, Any]) -> ResidentIdentity:
        items = clean_items(
            {key: request_data.get(key, "") for key in ("name", "name_kana", "address", "birth_date", "sex")}
        )
        if self.config.get("require_kana") is True and not items["name_kana"]:
            raise ReaderError([ReadProblem("name_kana", str(_("フリガナがありません。")))])
        return self.identity(**items)
