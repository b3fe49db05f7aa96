"""Every error of a page at once, with the error summary at the top (issue 18).

A page posted with its required fields empty names all of them in one response: every required
field, every part of a name or address, the rows a repeating group needs, file fields, and each
requirement whose condition holds with the values posted. The summary above the form says how
many there are and links to each input; each input carries its own message beside it. The same
summary stands on the other form pages (bookings, queue, sign-in)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.helpers import make_procedure
from tests.procedures.submission_helpers import apply_url, hidden, page_url
from yakusho.bookings.models import Slot
from yakusho.core.models import Membership, Municipality, Role
from yakusho.procedures import formrender
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.formengine import load_definition
from yakusho.procedures.models import Submission

TODAY = date(2026, 4, 1)

#: every kind of requirement on one page: a name, a choice with a conditional requirement, check
#: boxes, a file, a repeating group (a row needed, with its own conditional field), a consent
SYNTHETIC: dict[str, Any] = {
    "key": "errors-at-once",
    "version": 1,
    "title": "全部まとめて申請",
    "privacy_notice": "個人情報は申請の処理にだけ使います。",
    "pages": [
        {
            "key": "main",
            "title": "申請内容",
            "fields": [
                {"key": "name", "type": "name", "label": "氏名", "required": True},
                {
                    "key": "kind",
                    "type": "radio",
                    "label": "種別",
                    "required": True,
                    "options": [{"value": "a", "label": "一般"}, {"value": "other", "label": "その他"}],
                },
                {
                    "key": "kind_other",
                    "type": "text",
                    "label": "種別の内容",
                    "required": True,
                    "visible_when": "kind == 'other'",
                },
                {
                    "key": "days",
                    "type": "checkbox",
                    "label": "希望日",
                    "required": True,
                    "options": [{"value": "mon", "label": "月"}, {"value": "tue", "label": "火"}],
                },
                {"key": "photo", "type": "file", "label": "写真", "required": True, "accept": ["png"]},
                {
                    "key": "people",
                    "type": "group",
                    "label": "同行者",
                    "min_items": 1,
                    "max_items": 3,
                    "fields": [
                        {"key": "who", "type": "text", "label": "名前", "required": True},
                        {
                            "key": "rel",
                            "type": "select",
                            "label": "続柄",
                            "required": True,
                            "options": [
                                {"value": "kin", "label": "親族"},
                                {"value": "other", "label": "その他"},
                            ],
                        },
                        {
                            "key": "rel_other",
                            "type": "text",
                            "label": "続柄の内容",
                            "required": True,
                            "visible_when": "rel == 'other'",
                        },
                    ],
                },
                {"key": "agree", "type": "consent", "label": "内容に同意します", "required": True},
            ],
        }
    ],
}

EMPTY_ERRORS = {
    "name-family_name": ["「氏名：姓」を入力してください。"],
    "name-given_name": ["「氏名：名」を入力してください。"],
    "name-family_kana": ["「氏名：セイ」を入力してください。"],
    "name-given_kana": ["「氏名：メイ」を入力してください。"],
    "kind": ["「種別」を選んでください。"],
    "days": ["「希望日」を選んでください。"],
    "photo": ["「写真」のファイルを添付してください。"],
    "people-0-who": ["「同行者（1件目）：名前」を入力してください。"],
    "people-0-rel": ["「同行者（1件目）：続柄」を選んでください。"],
    "agree": ["「内容に同意します」にチェックを入れてください。"],
}


def summary(html: str) -> tuple[int, list[tuple[str, str]]]:
    """The count in the summary's heading and its (anchor, message) lines."""
    match = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert match, "no error summary"
    box = match[1]
    count = re.search(r"入力内容に誤りがあります（(\d+)件）", box)
    assert count, box
    lines = re.findall(r'<li>(?:<a href="#([^"]*)">)?(.*?)(?:</a>)?</li>', box, re.S)
    return int(count[1]), [(anchor, text.strip()) for anchor, text in lines]


def assert_links_land(html: str, lines: list[tuple[str, str]]) -> None:
    """Each line links to an element of the page that carries the same message beside it."""
    for anchor, message in lines:
        assert anchor, message
        assert f'id="{anchor}"' in html, anchor
        beside = re.search(rf'id="{re.escape(anchor)}-error">(.*?)</p>', html, re.S)
        assert beside and message in beside[1].replace("&quot;", '"'), (anchor, message)


# --- the engine ---------------------------------------------------------------------------------


def test_an_empty_page_gets_every_error_in_one_validation_in_page_order() -> None:
    form = load_definition(SYNTHETIC)
    result = form.validate({}, {}, page=0, today=TODAY)
    assert result.errors == EMPTY_ERRORS
    assert list(result.errors) == list(EMPTY_ERRORS)  # the order of the inputs on the page


def test_a_condition_met_in_the_same_post_adds_its_requirement_to_the_others() -> None:
    form = load_definition(SYNTHETIC)
    result = form.validate({"kind": "other", "people-0-rel": "other"}, {}, page=0, today=TODAY)
    expected = {k: v for k, v in EMPTY_ERRORS.items() if k not in ("kind", "people-0-rel")}
    expected["kind_other"] = ["「種別の内容」を入力してください。"]
    expected["people-0-rel_other"] = ["「同行者（1件目）：続柄の内容」を入力してください。"]
    assert result.errors == expected
    assert list(result.errors).index("kind_other") == list(result.errors).index("name-given_kana") + 1
    # met: the requirement goes, nothing else changes
    met = form.validate(
        {"kind": "other", "kind_other": "見学", "people-0-rel": "other", "people-0-rel_other": "友人"},
        {},
        page=0,
        today=TODAY,
    )
    assert "kind_other" not in met.errors and "people-0-rel_other" not in met.errors
    assert set(met.errors) == set(expected) - {"kind_other", "people-0-rel_other"}
    # the condition no longer holds: its field is not asked for
    other = form.validate({"kind": "a"}, {}, page=0, today=TODAY)
    assert "kind_other" not in other.errors and "kind" not in other.errors


def test_a_group_names_the_group_when_its_rows_ask_nothing() -> None:
    form = load_definition(
        {
            **SYNTHETIC,
            "pages": [
                {
                    "key": "main",
                    "title": "申請内容",
                    "fields": [
                        {
                            "key": "notes",
                            "type": "group",
                            "label": "メモ",
                            "min_items": 2,
                            "fields": [{"key": "text", "type": "text", "label": "内容"}],
                        }
                    ],
                }
            ],
        }
    )
    assert form.validate({"notes-0-text": "一つ"}, today=TODAY).errors == {
        "notes": ["「メモ」は2件以上入力してください（いま1件）。"]
    }


def test_a_partly_filled_name_names_only_the_parts_left() -> None:
    form = load_definition(SYNTHETIC)
    errors = form.validate(
        {"name-family_name": "大江", "name-given_kana": "ハナコ"}, page=0, today=TODAY
    ).errors
    assert [k for k in errors if k.startswith("name-")] == ["name-given_name", "name-family_kana"]


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
def synthetic(db, private_media) -> Any:
    town = MunicipalityFactory(slug="errors-town", name="試験町")
    procedure = make_procedure(
        town,
        DepartmentFactory(municipality=town),
        "errors-at-once",
        "全部まとめて申請",
        channels=(("yakusho", "available"),),
    )
    add_form_definition(procedure, SYNTHETIC)
    return town


def start(client: Client, town: Any, key: str, page: int = 1) -> dict[str, str]:
    assert client.post(apply_url(town, key), {"agree": "yes"}).status_code == 302
    first = client.get(page_url(town, page, key))
    return {"_token": hidden(first, "_token"), "_version": hidden(first, "_version")}


def test_the_synthetic_page_shows_every_error_with_a_summary_linking_to_each(
    synthetic, client: Client
) -> None:
    common = start(client, synthetic, "errors-at-once")
    response = client.post(page_url(synthetic, 1, "errors-at-once"), {**common, "people-0-who": ""})
    html = response.content.decode()
    assert response.status_code == 200
    count, lines = summary(html)
    assert count == len(lines) == len(EMPTY_ERRORS)
    assert [m for _a, m in lines] == [m for messages in EMPTY_ERRORS.values() for m in messages]
    assert [a for a, _m in lines] == [formrender.input_id(name) for name in EMPTY_ERRORS]
    assert_links_land(html, lines)
    assert html.count('aria-invalid="true"') >= len(EMPTY_ERRORS)
    assert "data-missing" in html  # the page's script may take these away once filled in
    assert "<title>エラー：" in html
    assert not Submission.objects.exists()


def test_the_page_tells_the_script_when_a_conditional_field_applies(synthetic, client: Client) -> None:
    common = start(client, synthetic, "errors-at-once")
    html = client.post(page_url(synthetic, 1, "errors-at-once"), {**common, "kind": "other"}).content.decode()
    _count, lines = summary(html)
    assert ("f-kind_other", "「種別の内容」を入力してください。") in lines
    assert 'data-show-when="[&quot;cmp&quot;,&quot;==&quot;,[&quot;ref&quot;,&quot;kind&quot;' in html
    assert "&quot;people-0-rel&quot;" in html  # a row's condition reads that row's input


def test_sodai_gomi_names_every_empty_field_and_the_item_name_once_other_is_chosen(
    demo_with_plans, client: Client
) -> None:
    oe = Municipality.objects.get(slug="oe")
    common = start(client, oe, "sodai-gomi")
    first = client.post(page_url(oe, 1, "sodai-gomi"), {**common, "email": ""}).content.decode()
    count, lines = summary(first)
    assert count == len(lines) == 7
    assert [a for a, _m in lines] == [
        "f-name-family_name",
        "f-name-given_name",
        "f-name-family_kana",
        "f-name-given_kana",
        "f-address-postal_code",
        "f-address-address",
        "f-phone",
    ]
    assert_links_land(first, lines)
    filled = {
        "name-family_name": "大江",
        "name-given_name": "花子",
        "name-family_kana": "オオエ",
        "name-given_kana": "ハナコ",
        "address-postal_code": "990-1101",
        "address-address": "山形県西村山郡大江町大字左沢882-1",
        "phone": "0237-62-2111",
    }
    assert client.post(page_url(oe, 1, "sodai-gomi"), {**common, **filled}).status_code == 302

    url = page_url(oe, 2, "sodai-gomi")
    empty = client.post(url, {**common, "items-0-item": "", "collection_date": ""}).content.decode()
    _count, lines = summary(empty)
    assert lines == [
        ("f-items-0-item", "「品目（1件目）：品目」を選んでください。"),
        ("f-items-0-size", "「品目（1件目）：大きさ」を選んでください。"),
        ("f-collection_date", "「収集希望日」を入力してください。"),
    ]
    assert_links_land(empty, lines)
    other = client.post(url, {**common, "items-0-item": "other", "collection_date": ""}).content.decode()
    count, lines = summary(other)
    assert count == 3 and [a for a, _m in lines] == [
        "f-items-0-other_name",
        "f-items-0-size",
        "f-collection_date",
    ]
    assert "「品目（1件目）：品目の名前」を入力してください。" in lines[0][1]
    named = client.post(
        url, {**common, "items-0-item": "other", "items-0-other_name": "電子レンジ台", "collection_date": ""}
    ).content.decode()
    _count, lines = summary(named)
    assert [a for a, _m in lines] == ["f-items-0-size", "f-collection_date"]
    assert "品目の名前」を入力" not in named


# --- the same summary on the other form pages ---------------------------------------------------


def test_the_sign_in_page_shows_the_summary(db, client: Client) -> None:
    html = client.post(reverse("staff:login"), {"username": "", "password": ""}).content.decode()
    count, lines = summary(html)
    assert count == 2 and [a for a, _m in lines] == ["id_username", "id_password"]
    assert 'aria-describedby="id_username_error"' in html and 'aria-invalid="true"' in html
    wrong = client.post(reverse("staff:login"), {"username": "nobody@example.jp", "password": "x"}).content
    count, lines = summary(wrong.decode())
    assert (count, lines) == (1, [("id_username", "メールアドレスまたはパスワードが正しくありません。")])


def test_the_booking_form_shows_the_summary(demo_with_plans, client: Client) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    slot = (
        Slot.objects.filter(resource__municipality__slug="oe", starts_at__date__gt=tomorrow)
        .select_related("resource")
        .order_by("starts_at")
        .first()
    )
    assert slot is not None
    local = timezone.localtime(slot.starts_at)
    url = reverse("bookings:book", args=["oe", slot.resource.key, local.date().isoformat(), f"{local:%H%M}"])
    html = client.post(url, {"name": "", "kana": ""}).content.decode()
    count, lines = summary(html)
    assert count == len(lines) >= 2
    assert all(a.startswith("id_") and f'id="{a}"' in html for a, _m in lines)


def test_the_queue_service_form_shows_the_summary(demo_with_plans, client: Client) -> None:
    admin = Membership.objects.filter(municipality__slug="oe", role=Role.ADMIN).select_related("user").first()
    assert admin is not None
    login_verified(client, admin.user)
    html = client.post(reverse("queue_staff:service_create", args=["oe"]), {}).content.decode()
    count, lines = summary(html)
    assert count == len(lines) >= 3
    assert all(f'id="{a}"' in html for a, _m in lines)
    assert any(m.startswith("窓口の名前：") for _a, m in lines)
