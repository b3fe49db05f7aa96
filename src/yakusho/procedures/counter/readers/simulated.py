"""The simulated card reader: the four basic items from a JSON document or a QR payload.

For the demo, training and tests, in place of a My Number card. The format (docs/counter-readers.md)::

    {"format": "yakusho-card/1", "name": "大江 花子", "name_kana": "オオエ ハナコ",
     "address": "山形県西村山郡大江町大字左沢882-1", "birth_date": "昭和60年4月1日", "sex": "女"}

The keys may also be the card's own words (氏名, フリガナ, 住所, 生年月日, 性別). A QR payload is
``YKCARD1:`` followed by the same JSON, UTF-8, in base64url (padding optional), so that a QR
code scanned by a keyboard-wedge scanner arrives as plain ASCII.

So that nobody has to write JSON to try the counter, the reader also offers **sample cards**
(:func:`sample_cards`): the demo's invented residents (family name 「デモ」, as in
``procedures/demo/counter_scenarios.py``) living in the municipality — someone of 75 or over, a
parent of two children, someone between 40 and 74 — and one who is moving in, whose card still
shows the previous address. Their birth dates move with today, so their ages (and the one-stop
age rules they show) stay the same. Choosing one reads its document through :meth:`read`, like a
pasted one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yakusho.core.datafiles import DataFile, DataFileInvalid
from yakusho.procedures.counter.ages import age_on
from yakusho.procedures.counter.readers.base import (
    CardReader,
    ConfigProblem,
    ReaderError,
    ResidentIdentity,
    Sex,
    clean_items,
)
from yakusho.procedures.counter.readers.registry import registry
from yakusho.procedures.demo.counter_scenarios import FAMILY, PREVIOUS, TOWNS

if TYPE_CHECKING:
    from yakusho.core.models import Municipality

FORMAT = "yakusho-card/1"
QR_PREFIX = "YKCARD1:"
DEFAULT_MAX_BYTES = 8192
#: the card's own words for the items
JAPANESE_KEYS = {
    "氏名": "name",
    "フリガナ": "name_kana",
    "住所": "address",
    "生年月日": "birth_date",
    "性別": "sex",
}
KNOWN_KEYS = {"format", "name", "name_kana", "address", "birth_date", "sex"}


def qr_payload(document: Mapping[str, Any]) -> str:
    """The QR payload for a document (the demo prints these; tests use them)."""
    data = json.dumps(dict(document), ensure_ascii=False, separators=(",", ":")).encode()
    return QR_PREFIX + base64.urlsafe_b64encode(data).decode().rstrip("=")


# --- sample cards ---------------------------------------------------------------------------------

#: where the sample residents live (an invented 番地 is added): the demo towns' streets
STREETS = {
    **{town.slug: town.addresses[0][1] for town in TOWNS},
    "katagami": "秋田県潟上市天王",
    "itako": "茨城県潮来市辻",
    "murakami": "新潟県村上市三之町",
}


@dataclass(frozen=True)
class SampleCard:
    """An invented resident's card to read at the counter (the demo, training, tests)."""

    key: str
    given: tuple[str, str]  # given name, its kana
    sex: str  # a Sex value
    birth_date: date
    address: str
    #: who this is, for staff choosing a card (「75歳以上の方」)
    note: str

    @property
    def name(self) -> str:
        return f"{FAMILY[0]} {self.given[0]}"

    @property
    def sex_label(self) -> str:
        return str(Sex(self.sex).label)

    def age(self, today: date | None = None) -> int:
        return age_on(self.birth_date, today or timezone.localdate())

    def document(self) -> dict[str, str]:
        """The card as the simulated reader reads it (``yakusho-card/1``)."""
        return {
            "format": FORMAT,
            "name": self.name,
            "name_kana": f"{FAMILY[1]} {self.given[1]}",
            "address": self.address,
            "birth_date": self.birth_date.isoformat(),
            "sex": str(self.sex),
        }


def _born(today: date, years: int, month: int, day: int) -> date:
    """A birthday ``years`` years before this year (so the age stays ``years`` - 1 or ``years``)."""
    return date(today.year - years, month, day)


def sample_cards(municipality: Municipality, today: date | None = None) -> list[SampleCard]:
    """The sample cards for a municipality: residents of it, and one moving in from elsewhere."""
    today = today or timezone.localdate()
    street = STREETS.get(municipality.slug) or f"{municipality.prefecture}{municipality.name}"
    children = [("陽菜", _born(today, 7, 5, 20)), ("湊", _born(today, 3, 11, 2))]
    kids = "、".join(f"{FAMILY[0]} {name}（{age_on(birth, today)}歳）" for name, birth in children)
    previous = next(street for _postal, street in PREVIOUS if municipality.name not in street)
    return [
        SampleCard(
            "elderly",
            ("和子", "カズコ"),
            Sex.FEMALE,
            _born(today, 81, 4, 10),
            f"{street}2101-3",
            str(_("75歳以上の方（後期高齢者医療の対象の年齢）")),
        ),
        SampleCard(
            "family",
            ("健太", "ケンタ"),
            Sex.MALE,
            _born(today, 36, 8, 15),
            f"{street}1550-12",
            str(
                _("子育て世帯の方。子ども：%(children)s。子どもの情報は窓口で入力します。")
                % {"children": kids}
            ),
        ),
        SampleCard(
            "middle",
            ("一郎", "イチロウ"),
            Sex.MALE,
            _born(today, 58, 1, 25),
            f"{street}980-7",
            str(_("40〜64歳の方（介護保険の第2号被保険者の年齢）")),
        ),
        SampleCard(
            "moving-in",
            ("美咲", "ミサキ"),
            Sex.FEMALE,
            _born(today, 29, 6, 30),
            f"{previous}3-12-5",
            str(_("%(town)sへ転入する方（カードの住所はまだ前の住所です）") % {"town": municipality.name}),
        ),
    ]


@registry.register
class SimulatedReader(CardReader):
    key = "simulated"
    label = _("模擬カードリーダー（JSON・QR）")
    description = _(
        "マイナンバーカードの代わりに、基本4情報を書いたJSONまたはQRコードの内容を読み取ります。デモ・研修・試験用です。"
    )
    input_kind = "payload"
    config_schema = {"max_bytes": int}

    @classmethod
    def default_enabled(cls, municipality: Municipality) -> bool:
        """On in the demo municipalities (``yakusho demo``), off elsewhere until switched on."""
        return municipality.is_demo

    @property
    def max_bytes(self) -> int:
        value = self.config.get("max_bytes", DEFAULT_MAX_BYTES)
        return (
            value
            if isinstance(value, int) and not isinstance(value, bool) and value > 0
            else DEFAULT_MAX_BYTES
        )

    def read(self, request_data: Mapping[str, Any]) -> ResidentIdentity:
        payload = request_data.get("payload", "")
        if not isinstance(payload, str) or not payload.strip():
            raise ReaderError(str(_("読み取るデータ（JSONまたはQRコードの内容）がありません。")))
        if len(payload.encode()) > self.max_bytes:
            raise ReaderError(
                str(_("読み取るデータが大きすぎます（%(limit)sバイトまで）。") % {"limit": self.max_bytes})
            )
        document = self.decode(payload.strip())
        return self.identity(**clean_items(self.items(document)))

    def decode(self, text: str) -> dict[str, Any]:
        if text.upper().startswith(QR_PREFIX):
            encoded = text[len(QR_PREFIX) :].strip()
            try:
                padded = encoded + "=" * (-len(encoded) % 4)
                text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise ReaderError(
                    str(_("QRコードの内容を読み取れません（YKCARD1: の後が正しくありません）。"))
                ) from None
        try:
            document = DataFile.read(text, "card.json", fmt="json").data
        except DataFileInvalid as exc:
            raise ReaderError(exc.errors[0].text(get_language())) from None
        if not isinstance(document, dict):
            raise ReaderError(str(_("JSONはオブジェクト（{ … }）にしてください。")))
        return document

    def items(self, document: dict[str, Any]) -> dict[str, Any]:
        items: dict[str, Any] = {}
        unknown: list[str] = []
        for key, value in document.items():
            name = JAPANESE_KEYS.get(key, key)
            if name not in KNOWN_KEYS:
                unknown.append(str(key))
            elif name in items:
                raise ReaderError(str(_("項目「%(key)s」が二重に書かれています。") % {"key": key}))
            else:
                items[name] = value
        if unknown:
            raise ReaderError(str(_("不明な項目があります：%(keys)s") % {"keys": "、".join(unknown)}))
        if items.pop("format", FORMAT) != FORMAT:
            raise ReaderError(str(_("format は「%(format)s」にしてください。") % {"format": FORMAT}))
        return items

    def check_config(self, municipality: Municipality) -> list[ConfigProblem]:
        problems = super().check_config(municipality)
        value = self.config.get("max_bytes")
        if isinstance(value, int) and not isinstance(value, bool) and not 256 <= value <= 65536:
            problems.append(
                ConfigProblem(str(_("max_bytes は256から65536の間にしてください。")), "max_bytes")
            )
        if not municipality.is_demo:
            problems.append(
                ConfigProblem(
                    str(
                        _(
                            "模擬リーダーは実際のカードを読まず、入力された内容をそのまま信用します。"
                            "研修や試験のとき以外は無効にしてください。"
                        )
                    ),
                    level="warning",
                )
            )
        return problems
