"""The counter's paper forms: one A4 form per procedure, Japanese text that can be selected (read
back with pdftotext), every field shown with its answer, the signature box and the confirmation."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.factories import DepartmentFactory, MunicipalityFactory
from yakusho.procedures.counter.pdf import CONFIRMATION, PaperEntry, render_paper_forms
from yakusho.procedures.formengine import FormDefinition, load_definition
from yakusho.procedures.models import Procedure

FORMS = Path(__file__).resolve().parents[2] / "data" / "forms"
TODAY = date(2026, 4, 1)
AT = datetime(2026, 4, 1, 1, 30, tzinfo=UTC)  # 10:30 in Japan

pytestmark = pytest.mark.pdf


def demo_form(name: str) -> FormDefinition:
    return load_definition(json.loads((FORMS / name).read_text("utf-8")))


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "forms.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def pages_of(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.fixture
def town(db):
    town = MunicipalityFactory(slug="oe", name="大江町")
    department = DepartmentFactory(municipality=town, name="税務町民課")
    tennyu = Procedure.objects.create(
        municipality=town, department=department, key="tennyu-todoke", name="転入届", paper_at_counter=True
    )
    juminhyo = Procedure.objects.create(
        municipality=town,
        department=department,
        key="juminhyo-koufu",
        name="住民票の写し等の交付申請",
        issues_certificate=True,
    )
    return town, tennyu, juminhyo


TENNYU_ANSWERS = {
    "moved_on": "令和8年3月28日",
    "address-postal_code": "990-1101",
    "address-address": "山形県西村山郡大江町大字左沢882-1",
    "previous_address-postal_code": "100-0013",
    "previous_address-address": "東京都千代田区霞が関1-2-3",
    "proof": "certificate",
    "applicant-family_name": "大江",
    "applicant-given_name": "花子",
    "applicant-family_kana": "おおえ",
    "applicant-given_kana": "はなこ",
    "applicant-birth_date": "昭和60年5月1日",
    "applicant-sex": "female",
    "applicant_role": "self",
    "phone": "090-1234-5678",
    "household_kind": "whole",
    "head_name-family_name": "大江",
    "head_name-given_name": "花子",
    "head_name-family_kana": "オオエ",
    "head_name-given_kana": "ハナコ",
    "relationship": "head",
    "people-0-name-family_name": "大江",
    "people-0-name-given_name": "花子",
    "people-0-name-family_kana": "オオエ",
    "people-0-name-given_kana": "ハナコ",
    "people-0-birth_date": "1985-05-01",
    "people-0-sex": "female",
    "people-0-relationship": "head",
    "people-0-card": "continue",
    "people-1-name-family_name": "大江",
    "people-1-name-given_name": "太郎",
    "people-1-name-family_kana": "オオエ",
    "people-1-name-given_kana": "タロウ",
    "people-1-birth_date": "2015-07-07",
    "people-1-sex": "male",
    "people-1-relationship": "child",
    "people-1-card": "none",
    "confirm": "on",
}


def test_one_form_per_procedure_with_every_answer_and_the_signature_box(town, tmp_path: Path) -> None:
    municipality, tennyu, juminhyo = town
    tennyu_form = demo_form("oe--tennyu-todoke.json")
    result = tennyu_form.validate(TENNYU_ANSWERS, today=TODAY)
    assert result.ok, result.errors
    cert_form = demo_form("oe--juminhyo-koufu.json")
    cert = cert_form.validate(
        {
            "requester-family_name": "大江",
            "requester-given_name": "花子",
            "requester-family_kana": "オオエ",
            "requester-given_kana": "ハナコ",
            "requester-postal_code": "990-1101",
            "requester-address": "山形県西村山郡大江町大字左沢882-1",
            "requester-birth_date": "1985-05-01",
            "requester-sex": "female",
            "relation": "self",
            "kind": "items",
            "copies": "2",
            "purpose": "license",
        },
        today=TODAY,
    )
    assert cert.ok, cert.errors
    pdf = render_paper_forms(
        municipality,
        [
            PaperEntry(tennyu, tennyu_form, result.cleaned, "ABCD-EFGH", AT),
            PaperEntry(juminhyo, cert_form, cert.cleaned, "JKLM-NPQR", AT),
        ],
    )
    assert pdf.startswith(b"%PDF")
    assert pages_of(pdf, tmp_path) >= 2
    text = text_of(pdf, tmp_path)
    first, _sep, second = text.partition("住民票の写し等の交付申請書")
    assert second, "the second form has its own title"
    # the first form: title, receipt, every field shown (group rows too), signature box, confirmation
    for expected in [
        "大江町長 様",
        "転入届（住民異動届）",
        "ABCD-EFGH",
        "令和8年（2026年）4月1日 10:30（窓口）",
        "税務町民課",
        "転入日（住み始めた日）",
        "令和8年（2026年）3月28日",
        "東京都千代田区霞が関1-2-3",
        "090-1234-5678",
        "異動する人（2件目）：氏名",
        "大江 太郎（オオエ タロウ）",
        "持っていない",
        CONFIRMATION,
        "署名",
    ]:
        assert expected in first, expected
    assert "JKLM-NPQR" not in first
    # the second form: its own receipt and fee; hidden fields are not printed
    for expected in ["JKLM-NPQR", "住民票記載事項証明書", "2通", "600円", CONFIRMATION, "署名"]:
        assert expected in second, expected
    assert "必要な範囲" not in second  # shown only for 住民票の写し
    assert first.count(CONFIRMATION) == 1


def test_rendering_nothing_is_refused(town) -> None:
    with pytest.raises(ValueError, match="no paper forms"):
        render_paper_forms(town[0], [])
