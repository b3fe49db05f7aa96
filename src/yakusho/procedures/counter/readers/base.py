"""The card-reader interface: what every adapter reads and how the administrator checks it.

A My Number card holds the four basic items (基本4情報: 氏名・住所・生年月日・性別) in its
券面事項入力補助AP (the "text input support" application, read with the 券面事項入力補助用
暗証番号, 4 digits). A real adapter would talk to a PC/SC reader through JPKI middleware, read
that application and return a :class:`ResidentIdentity`; this project ships none (no reader, no
middleware, no certified software here) but the interface below is the one it would implement.
The shipped adapters are the simulated reader (a JSON document or a QR payload, for the demo
and tests) and manual entry by staff.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core.jcal import JapaneseDateError, parse_japanese_date
from yakusho.core.normalize import is_katakana, normalize_address, normalize_kana, normalize_text

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

    from yakusho.core.models import Municipality


class Sex(models.TextChoices):
    """性別 as printed on the card (男・女)."""

    MALE = "male", _("男")
    FEMALE = "female", _("女")


#: The four basic items and the optional フリガナ, by field name, with their Japanese labels.
FIELD_LABELS: dict[str, Any] = {
    "name": _("氏名"),
    "name_kana": _("フリガナ"),
    "address": _("住所"),
    "birth_date": _("生年月日"),
    "sex": _("性別"),
}


@dataclass(frozen=True)
class ResidentIdentity:
    """Who the resident is, as an adapter read it: the four basic items, kana if given, the source.

    Values are normalised (``yakusho.core.normalize``). ``source`` is the adapter's key and
    ``source_label`` its name, so a record made from it can say where the facts came from.
    """

    name: str
    address: str
    birth_date: date
    sex: str  # a Sex value
    source: str
    source_label: str
    name_kana: str = ""

    @property
    def sex_label(self) -> str:
        return str(Sex(self.sex).label)

    def lives_in(self, municipality: Municipality) -> bool:
        """Whether the address names the municipality (a resident of elsewhere may still be served,
        e.g. a 転入 before the move is registered, but the counter shows the address as flagged)."""
        return bool(municipality.name) and municipality.name in self.address

    def as_dict(self) -> dict[str, str]:
        """The items as strings (for a form's prefill or a session)."""
        return {
            "name": self.name,
            "name_kana": self.name_kana,
            "address": self.address,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "source": self.source,
        }


@dataclass(frozen=True)
class ReadProblem:
    """One thing wrong with what was read; ``field`` is a key of :data:`FIELD_LABELS` or ``""``."""

    field: str
    message: str


class ReaderError(Exception):
    """The reading failed; ``problems`` say why, each in Japanese naming its field."""

    def __init__(self, problems: list[ReadProblem] | str) -> None:
        if isinstance(problems, str):
            problems = [ReadProblem("", problems)]
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))

    @property
    def messages(self) -> list[str]:
        return [p.message for p in self.problems]


@dataclass(frozen=True)
class ConfigProblem:
    """One finding of :meth:`CardReader.check_config`: an ``error`` stops the adapter from being
    usable, a ``warning`` is shown to the administrator only."""

    message: str
    key: str = ""
    level: str = "error"  # "error" or "warning"

    @property
    def is_error(self) -> bool:
        return self.level == "error"


class CardReader(ABC):
    """Base class of the adapters. Subclass, set ``key`` and ``label``, implement :meth:`read`,
    and register with ``@registry.register`` (see ``registry.py``).

    An instance is made per use with the municipality's configuration (``ReaderSetting.config``).
    """

    #: unique, ``[a-z0-9_-]``; stored in ``ReaderSetting.key``
    key: ClassVar[str]
    label: ClassVar[_StrOrPromise]
    description: ClassVar[_StrOrPromise] = ""
    #: "payload" (the staff paste or scan a text) or "form" (the staff type the items)
    input_kind: ClassVar[str] = "payload"
    #: enabled for a municipality that has not switched it yet (see :meth:`default_enabled`)
    enabled_by_default: ClassVar[bool] = False
    #: configuration keys and their types; check_config reports others
    config_schema: ClassVar[dict[str, type]] = {}

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config: dict[str, Any] = dict(config or {})

    @classmethod
    def default_enabled(cls, municipality: Municipality) -> bool:
        """Whether the adapter is on for a municipality that has no switch for it yet."""
        return cls.enabled_by_default

    @abstractmethod
    def read(self, request_data: Mapping[str, Any]) -> ResidentIdentity:
        """Read the identity from what the counter sent (form data); raise :class:`ReaderError`."""

    def check_config(self, municipality: Municipality) -> list[ConfigProblem]:
        """What is wrong with this adapter's configuration for ``municipality`` (empty: all good).

        The base checks the configuration against ``config_schema``; adapters add their own
        checks (a real reader would try the middleware and the reader device here)."""
        problems: list[ConfigProblem] = []
        for key, value in sorted(self.config.items()):
            expected = self.config_schema.get(key)
            if expected is None:
                problems.append(
                    ConfigProblem(str(_("不明な設定項目「%(key)s」があります。") % {"key": key}), key)
                )
            elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                problems.append(
                    ConfigProblem(
                        str(
                            _(
                                "設定項目「%(key)s」の値の形式が正しくありません（%(type)sで指定してください）。"
                            )
                            % {"key": key, "type": TYPE_NAMES.get(expected, expected.__name__)}
                        ),
                        key,
                    )
                )
        return problems

    def identity(self, **items: Any) -> ResidentIdentity:
        return ResidentIdentity(source=self.key, source_label=str(self.label), **items)


TYPE_NAMES: dict[type, Any] = {bool: _("true または false"), int: _("整数"), str: _("文字列")}


#: Words accepted for 性別, after NFKC and lower-casing (the card prints 男 / 女; JIS X 0303 codes 1 / 2).
SEX_WORDS: dict[str, str] = {
    "男": Sex.MALE,
    "男性": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "1": Sex.MALE,
    "女": Sex.FEMALE,
    "女性": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "2": Sex.FEMALE,
}
MAX_LENGTHS = {"name": 60, "name_kana": 120, "address": 200}
REQUIRED = ("name", "address", "birth_date", "sex")


def clean_items(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and normalise the four basic items (and フリガナ) from ``data``.

    Returns ``name``, ``name_kana``, ``address``, ``birth_date`` (a date) and ``sex`` (a
    :class:`Sex` value); raises :class:`ReaderError` listing every problem, each naming its field.
    """
    problems: list[ReadProblem] = []
    raw: dict[str, str] = {}
    for key in FIELD_LABELS:
        value = data.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems.append(
                ReadProblem(
                    key, str(_("%(field)sは文字列で指定してください。") % {"field": FIELD_LABELS[key]})
                )
            )
            value = ""
        raw[key] = value
    cleaned: dict[str, Any] = {
        "name": normalize_text(raw["name"]),
        "name_kana": normalize_kana(raw["name_kana"]),
        "address": normalize_address(raw["address"]),
    }
    for key in REQUIRED:
        if not normalize_text(raw[key]) and not any(p.field == key for p in problems):
            problems.append(
                ReadProblem(key, str(_("%(field)sがありません。") % {"field": FIELD_LABELS[key]}))
            )
    for key, limit in MAX_LENGTHS.items():
        if len(cleaned[key]) > limit:
            problems.append(
                ReadProblem(
                    key,
                    str(
                        _("%(field)sは%(limit)s文字以内にしてください。")
                        % {"field": FIELD_LABELS[key], "limit": limit}
                    ),
                )
            )
    if cleaned["name_kana"] and not is_katakana(cleaned["name_kana"]):
        problems.append(ReadProblem("name_kana", str(_("フリガナはカタカナかひらがなで指定してください。"))))
    if normalize_text(raw["birth_date"]):
        try:
            born = parse_japanese_date(raw["birth_date"])
        except JapaneseDateError as exc:
            problems.append(ReadProblem("birth_date", str(_("生年月日：%(reason)s") % {"reason": exc})))
        else:
            if born > timezone.localdate():
                problems.append(ReadProblem("birth_date", str(_("生年月日が未来の日付です。"))))
            cleaned["birth_date"] = born
    if normalize_text(raw["sex"]):
        sex = SEX_WORDS.get(normalize_text(raw["sex"]).lower())
        if sex is None:
            problems.append(
                ReadProblem(
                    "sex",
                    str(
                        _("性別「%(value)s」を読み取れません（男・女のどちらかで指定してください）。")
                        % {"value": raw["sex"]}
                    ),
                )
            )
        cleaned["sex"] = sex
    if problems:
        raise ReaderError(problems)
    return cleaned
