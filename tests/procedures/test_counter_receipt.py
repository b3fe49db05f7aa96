"""The resident's printed 控え of a counter visit (``counter:receipt``): read back with pdftotext,
it names the town, the visitor, each procedure with its receipt number, main answers (no consent,
nothing left unanswered), fee and how to pay, and whom to ask; its footer says only what is true
of the 照会キー. Only finished visits of the staff member's own municipality have one."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.helpers import make_procedure
from yakusho.core.contacts import department_contact
from yakusho.core.jcal import format_date
from yakusho.core.models import OutboundEmail, Role
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.counter import services as counter
from yakusho.procedures.counter.receipt_pdf import contact_lines
from yakusho.procedures.models.counter import CounterVisit

FORMS = Path(__file__).resolve().parents[2] / "data" / "forms"
CONSENT = "上記の内容に誤りがないことを確認しました"
SUIDO = {
    "key": "suido",
    "version": 1,
    "title": "水道使用開始届",
    "privacy_notice": "入力された個人情報は、この手続にのみ使います。",
    "pages": [
        {
            "key": "p1",
            "title": "使用者",
            "fields": [
                {"key": "user", "type": "name", "label": "使用者", "required": True, "fact": "resident.name"},
                {"key": "start", "type": "text", "label": "使用開始の希望", "required": True},
                {"key": "email", "type": "email", "label": "メールアドレス"},
                {"key": "note", "type": "text", "label": "連絡事項"},
                {"key": "confirm", "type": "consent", "label": CONSENT, "required": True},
            ],
        }
    ],
}
JUMINHYO = {
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
}
CARD = {
    "name": "大江 花子",
    "address": "山形県西村山郡大江町大字左沢882-1",
    "birth_date": "S60.5.1",
    "sex": "2",
}


@pytest.fixture
def world(db) -> dict[str, Any]:
    town = MunicipalityFactory(
        slug="rcpt", name="大江町", phone="0237-62-2111", address="山形県西村山郡大江町大字左沢882-1"
    )
    other = MunicipalityFactory(slug="rcpt-other", name="隣町")
    tax = DepartmentFactory(
        municipality=town, name="税務町民課", phone="0237-62-2115", place="本庁舎1階 3番窓口"
    )
    water = DepartmentFactory(municipality=town, name="上下水道課")
    juminhyo = make_procedure(town, tax, "juminhyo-koufu", "住民票の写し等の交付申請")
    add_form_definition(juminhyo, json.loads((FORMS / "oe--juminhyo-koufu.json").read_text("utf-8")))
    suido = make_procedure(town, water, "suido", "水道の使用開始")
    add_form_definition(suido, SUIDO)
    staff = MembershipFactory(municipality=town, role=Role.COUNTER).user
    stranger = MembershipFactory(municipality=other, role=Role.COUNTER).user
    return {
        "town": town,
        "other": other,
        "procedures": [juminhyo, suido],
        "staff": staff,
        "stranger": stranger,
    }


def lists(answers: dict[str, str]) -> dict[str, list[str]]:
    return {name: [value] for name, value in answers.items()}


def finished_visit(world: dict[str, Any]) -> CounterVisit:
    visit = counter.start_visit(world["town"], world["staff"])
    counter.identify(visit, "manual", CARD)
    first, second = counter.set_procedures(visit, [p.pk for p in world["procedures"]])
    assert counter.save_item(visit, first, lists(JUMINHYO)).ok
    water = {
        "user-family_name": "大江",
        "user-given_name": "花子",
        "user-family_kana": "オオエ",
        "user-given_kana": "ハナコ",
        "start": "来週の月曜日から",
        "email": "hanako@example.jp",
        "confirm": "on",
    }
    assert counter.save_item(visit, second, lists(water)).ok
    counter.request_confirmation(visit)
    counter.resident_confirms(visit)
    counter.finish(visit)
    visit.refresh_from_db()
    return visit


def receipt_url(town: Any, code: str) -> str:
    return reverse("counter:receipt", args=[town.slug, code])


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


@pytest.mark.pdf
def test_the_receipt_lists_what_was_submitted_and_whom_to_ask(world, client: Client, tmp_path: Path) -> None:
    visit = finished_visit(world)
    assert visit.finished_at is not None
    codes = [i.submission.display_code for i in counter.items_of(visit) if i.submission]
    assert len(codes) == 2
    login_verified(client, world["staff"])
    response = client.get(receipt_url(world["town"], visit.code))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Cache-Control"] == "private, no-store"
    text = text_of(response.content, tmp_path)
    first, _sep, second = text.partition("2. 水道の使用開始")
    assert second, "each procedure has its own numbered section"
    for expected in [
        "大江町",
        "窓口でのお手続きの控え",
        "大江 花子 様",
        format_date(visit.finished_at),  # 令和8年（2026年）…
        "2件",
        "1. 住民票の写し等の交付申請",
        codes[0],
        "税務町民課",
        "住民票記載事項証明書",  # the main answers, as the form labels them
        "2通",
        "住民票の写し等の交付手数料 600円",
        "合計 600円",
        "交付のときに窓口でお支払いください。",  # the form's own words on paying
        "電話 0237-62-2115",
        "場所 本庁舎1階 3番窓口",
    ]:
        assert expected in first, expected
    assert codes[1] not in first
    for expected in [
        codes[1],
        "上下水道課",
        "来週の月曜日から",
        "hanako@example.jp",
        "電話 0237-62-2111（代表）",  # no number of its own: the town's, said to be so
        "場所 山形県西村山郡大江町大字左沢882-1",
        "受付時間 平日 8:30〜17:15",
        "手続の状況を知りたいとき",
        "受付のお知らせ",
    ]:
        assert expected in second, expected
    assert "照会キーは、この控えには記載していません（メールに記載しています）。" in second.replace("\n", "")
    # no consent, nothing unanswered, no placeholder
    for absent in [CONSENT, "同意", "連絡事項", "（未入力）", "None"]:
        assert absent not in text, absent
    # the mail the footer speaks of was queued, and only for the form that asked for an address
    assert list(OutboundEmail.objects.values_list("to", flat=True)) == [["hanako@example.jp"]]


@pytest.mark.pdf
def test_without_mail_and_after_the_discard_the_receipt_stays_true(
    world, client: Client, tmp_path: Path
) -> None:
    juminhyo, _suido = world["procedures"]
    visit = counter.start_visit(world["town"], world["staff"])
    counter.identify(visit, "manual", CARD)
    (item,) = counter.set_procedures(visit, [juminhyo.pk])
    assert counter.save_item(visit, item, lists(JUMINHYO)).ok
    counter.request_confirmation(visit)
    counter.resident_confirms(visit)
    counter.finish(visit)
    counter.discard_stale(now=timezone.now() + timedelta(hours=counter.discard_hours() + 1))
    visit.refresh_from_db()
    assert visit.identity == {}
    login_verified(client, world["staff"])
    text = text_of(client.get(receipt_url(world["town"], visit.code)).content, tmp_path)
    assert "大江 花子 様" in text  # from the submission, once the card's data is erased
    assert "1件" in text and "住民票記載事項証明書" in text
    assert "受付のお知らせ" not in text  # no mail was sent: no mail is promised
    assert "照会キーは、窓口での申請ではお渡ししていません。" in text.replace("\n", "")


def test_only_a_finished_visit_of_ones_own_municipality_has_a_receipt(world, client: Client) -> None:
    town = world["town"]
    open_visit = counter.start_visit(town, world["staff"])
    login_verified(client, world["staff"])
    assert client.get(receipt_url(town, open_visit.code)).status_code == 404
    assert client.get(receipt_url(town, "NOPE1234")).status_code == 404
    elsewhere = counter.start_visit(world["other"], None)
    assert client.get(receipt_url(town, elsewhere.code)).status_code == 404
    visit = finished_visit(world)
    done = client.get(reverse("counter:done", args=[town.slug, visit.code])).content.decode()
    assert receipt_url(town, visit.code) in done and "住民の方の控えを印刷（PDF）" in done
    login_verified(client, world["stranger"])
    assert client.get(receipt_url(town, visit.code)).status_code == 403


def test_contact_lines_say_when_a_number_is_invented(world) -> None:
    town = world["town"]
    invented = DepartmentFactory(
        municipality=town, name="総務課", phone="0237-00-1001", place="大江町役場 2階", contact_is_demo=True
    )
    lines = contact_lines(department_contact(invented, town))
    assert lines[:3] == ["大江町 総務課", "電話 0237-00-1001", "場所 大江町役場 2階"]
    assert "架空" in lines[-1]
    real = contact_lines(department_contact(world["procedures"][0].department, town))
    assert not any("架空" in line for line in real)
