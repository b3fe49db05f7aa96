"""The form designer: draft operations (the engine accepts every saved draft, refusals say why in
words and save nothing), publishing (versions, what counts as breaking the live form, the public
catalogue), creating a procedure, and the pages (permissions, stale pages, bad input)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.helpers import make_procedure
from yakusho.core.models import Role
from yakusho.procedures import designer
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.designer.operations import DesignerError, FieldRef
from yakusho.procedures.formengine import load_definition
from yakusho.procedures.models import (
    FormDefinition,
    FormDraft,
    Procedure,
    ProcedureChannel,
    ProcedureLifeEvent,
    Submission,
)

SLUG = "dtown"


@pytest.fixture
def world(db, staff_of):
    town = MunicipalityFactory(slug=SLUG, name="設計町")
    own = DepartmentFactory(municipality=town, name="町民課")
    other = DepartmentFactory(municipality=town, name="建設課")
    procedure = make_procedure(town, own, "sodai", "粗大ごみ収集の申込", channels=())
    users = {}
    for name, role, depts in (
        ("admin", Role.ADMIN, []),
        ("mine", Role.DEPARTMENT, [own]),
        ("theirs", Role.DEPARTMENT, [other]),
        ("counter", Role.COUNTER, []),
        ("secretariat", Role.SECRETARIAT, []),
    ):
        users[name] = staff_of(town, role, depts).user
    return {"town": town, "own": own, "other": other, "procedure": procedure, "users": users}


def two_pages(key: str = "sodai", version: int = 1) -> dict[str, Any]:
    """Page 1 asks the kind (radio) and the count; page 2 a note shown for large items; a fee."""
    return {
        "key": key,
        "version": version,
        "title": "粗大ごみ収集の申込",
        "privacy_notice": "個人情報はこの手続にだけ使います。",
        "pages": [
            {
                "key": "p1",
                "title": "出すもの",
                "fields": [
                    {
                        "key": "kind",
                        "type": "radio",
                        "label": "大きさ",
                        "required": True,
                        "options": [{"value": "small", "label": "小"}, {"value": "large", "label": "大"}],
                    },
                    {"key": "count", "type": "number", "label": "個数", "min": 1, "max": 10},
                ],
            },
            {
                "key": "p2",
                "title": "連絡先",
                "fields": [
                    {"key": "phone", "type": "phone", "label": "電話番号", "required": True},
                    {
                        "key": "note",
                        "type": "textarea",
                        "label": "運び出しの注意",
                        "visible_when": "kind == 'large'",
                    },
                ],
            },
        ],
        "fee": {"items": [{"label": "処理手数料", "amount": "500 * count", "when": "kind == 'large'"}]},
    }


def draft_of(procedure: Procedure) -> FormDraft:
    return designer.start_draft(procedure)


def refused(draft: FormDraft, operation: designer.Operation) -> list[str]:
    """Run an operation that must be refused; check nothing was saved; return the messages."""
    before = copy.deepcopy(draft.definition)
    stamp = designer.stamp(draft)
    with pytest.raises(DesignerError) as caught:
        designer.apply(draft, operation)
    draft.refresh_from_db()
    assert draft.definition == before
    assert designer.stamp(draft) == stamp
    return caught.value.messages


# --- drafts -----------------------------------------------------------------------------------------


def test_a_procedure_without_a_form_starts_from_a_valid_skeleton(world) -> None:
    draft = draft_of(world["procedure"])
    assert draft.based_on_version is None
    form = load_definition(draft.definition)
    assert (form.key, form.version, form.title) == ("sodai", 1, "粗大ごみ収集の申込")
    assert "設計町" in form.privacy_notice
    assert designer.start_draft(world["procedure"]).pk == draft.pk  # one draft per procedure


def test_a_procedure_with_a_form_starts_from_a_copy_of_the_live_version(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    assert draft.based_on_version == 1
    assert draft.definition["version"] == 2
    assert draft.definition["pages"] == two_pages()["pages"]


def test_a_procedure_key_that_cannot_be_a_form_key_is_refused(world) -> None:
    odd = make_procedure(world["town"], world["own"], "Old_Key", "古い手続")
    with pytest.raises(DesignerError) as caught:
        designer.start_draft(odd)
    assert "Old_Key" in caught.value.messages[0]
    assert not FormDraft.objects.filter(procedure=odd).exists()


# --- pages ------------------------------------------------------------------------------------------


def test_pages_are_added_edited_moved_and_deleted(world) -> None:
    draft = draft_of(world["procedure"])
    designer.apply(draft, designer.add_page(title="連絡先"))
    designer.apply(draft, designer.add_page(title="確認事項"))
    assert [p["title"] for p in draft.definition["pages"]] == ["申請者", "連絡先", "確認事項"]
    new_page = draft.definition["pages"][1]
    assert new_page["key"] == "page_2" and len(new_page["fields"]) == 1  # a page needs a field
    designer.apply(
        draft,
        designer.edit_page(
            1, key="contact", title="連絡先の入力", description="日中の連絡先", visible_when=""
        ),
    )
    assert draft.definition["pages"][1] == {
        **new_page,
        "key": "contact",
        "title": "連絡先の入力",
        "description": "日中の連絡先",
    }
    designer.apply(draft, designer.move_page(2, -1))
    assert [p["title"] for p in draft.definition["pages"]] == ["申請者", "確認事項", "連絡先の入力"]
    designer.apply(draft, designer.delete_page(1))
    assert [p["title"] for p in FormDraft.objects.get().definition["pages"]] == ["申請者", "連絡先の入力"]


def test_the_last_page_cannot_be_deleted_nor_a_page_moved_past_the_end(world) -> None:
    draft = draft_of(world["procedure"])
    assert refused(draft, designer.delete_page(0)) == [
        "最後のページは削除できません。フォームには1ページ以上必要です。"
    ]
    assert refused(draft, designer.move_page(0, 1)) == ["これ以上動かせません。"]
    assert refused(draft, designer.delete_page(5)) == ["6ページ目はありません。"]


def test_a_page_condition_on_a_later_page_is_refused_in_words(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    messages = refused(
        draft, designer.edit_page(0, key="p1", title="出すもの", description="", visible_when="filled(phone)")
    )
    assert len(messages) == 1
    assert messages[0].startswith("1ページ目「出すもの」：表示条件：")
    assert "「phone」は後のページの項目です" in messages[0]


def test_a_duplicate_page_key_names_the_other_page(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    [message] = refused(
        draft, designer.edit_page(1, key="p1", title="連絡先", description="", visible_when="")
    )
    assert message.startswith("2ページ目「連絡先」：キー：")
    assert "1ページ目「出すもの」：キー と同じ" in message  # the engine's JSON path, in words


# --- fields -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", list(designer.TYPE_LABELS))
def test_a_field_of_every_type_is_added_with_valid_defaults(world, type_: str) -> None:
    draft = draft_of(world["procedure"])
    form = designer.apply(draft, designer.add_field(0, type_=type_, label="新しい質問"))
    added = draft.definition["pages"][0]["fields"][-1]
    assert added["type"] == type_ and added["label"] == "新しい質問"
    assert added["key"] in form.fields
    # and again: the key is made unique
    designer.apply(draft, designer.add_field(0, type_=type_, label="もうひとつ"))
    keys = [f["key"] for f in draft.definition["pages"][0]["fields"]]
    assert len(keys) == len(set(keys)) == 3


def test_an_unknown_type_is_refused(world) -> None:
    draft = draft_of(world["procedure"])
    assert refused(draft, designer.add_field(0, type_="slider", label="x")) == [
        "項目の種類「slider」はありません。"
    ]


def test_field_attributes_are_edited(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    attrs = {
        "key": "count",
        "label": "個数（点）",
        "help": "1回に10点まで",
        "required": True,
        "min": 1,
        "max": 5,
        "unit": "点",
        "visible_when": "kind == 'large'",
        "fact": "sodai.count",
    }
    form = designer.apply(draft, designer.edit_field(FieldRef(0, 1), attrs))
    assert draft.definition["pages"][0]["fields"][1] == {"type": "number", **attrs}
    assert getattr(form.fields["count"], "max", None) == 5
    # options keep their values; a text field gets a pattern
    options = designer.parse_options("small=小さいもの\nlarge=大きいもの\n特大")
    designer.apply(
        draft,
        designer.edit_field(
            FieldRef(0, 0), {"key": "kind", "label": "大きさ", "required": True, "options": options}
        ),
    )
    assert [o["value"] for o in draft.definition["pages"][0]["fields"][0]["options"]] == [
        "small",
        "large",
        "option_1",
    ]
    designer.apply(draft, designer.add_field(1, type_="text", label="受付番号"))
    designer.apply(
        draft,
        designer.edit_field(
            FieldRef(1, 2),
            {"key": "ref_no", "label": "受付番号", "pattern": "[0-9]{4}", "pattern_message": "4桁"},
        ),
    )
    assert getattr(load_definition(draft.definition).fields["ref_no"], "pattern", None) == "[0-9]{4}"


@pytest.mark.parametrize(
    ("ref", "attrs", "expected"),
    [
        (
            FieldRef(0, 1),
            {"key": "count", "label": "個数", "min": 9, "max": 2},
            "1ページ目「出すもの」の項目「個数」：最小値：min（9.0）が max（2.0）より大きくなっています。",
        ),
        (
            FieldRef(0, 1),
            {"key": "count", "label": "個数", "visible_when": "filled(note)"},
            "1ページ目「出すもの」の項目「個数」：表示条件：式「filled(note)」の「note」は後のページの項目です。"
            "条件には同じページか前のページの項目だけを使えます。",
        ),
        (
            FieldRef(1, 1),
            {"key": "note", "label": "運び出しの注意", "visible_when": "kind = 'large'"},
            "2ページ目「連絡先」の項目「運び出しの注意」：表示条件："
            "式「kind = 'large'」：6文字目の「=」は式に使えません。",
        ),
        (
            FieldRef(1, 0),
            {"key": "kind", "label": "電話番号"},
            "2ページ目「連絡先」の項目「電話番号」：キー：項目のキー「kind」が重複しています"
            "（1ページ目「出すもの」の項目「大きさ」：キー と同じ）。",
        ),
        (
            FieldRef(1, 0),
            {"key": "phone", "label": ""},
            "2ページ目「連絡先」の項目「phone」：ラベル：必須の項目がありません",
        ),
    ],
)
def test_bad_attributes_are_refused_naming_page_and_field(world, ref, attrs, expected) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    assert expected in refused(draft, designer.edit_field(ref, attrs))


def test_a_field_a_rule_uses_cannot_be_deleted_or_renamed(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    messages = refused(draft, designer.delete_field(FieldRef(0, 0)))
    assert any(m.startswith("2ページ目「連絡先」の項目「運び出しの注意」：表示条件：") for m in messages)
    assert any(m.startswith("手数料1「処理手数料」：条件：") for m in messages)
    assert all("「kind」という項目はありません" in m for m in messages)
    assert refused(
        draft,
        designer.edit_field(
            FieldRef(0, 0),
            {
                "key": "size",
                "label": "大きさ",
                "options": [{"value": "small", "label": "小"}, {"value": "large", "label": "大"}],
            },
        ),
    )


def test_fields_move_within_a_page_and_to_another_page_and_are_deleted(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    designer.apply(draft, designer.move_field(FieldRef(0, 1), -1))
    assert [f["key"] for f in draft.definition["pages"][0]["fields"]] == ["count", "kind"]
    designer.apply(draft, designer.move_field_to_page(FieldRef(1, 0), 0))
    assert [f["key"] for f in draft.definition["pages"][0]["fields"]] == ["count", "kind", "phone"]
    assert [f["key"] for f in draft.definition["pages"][1]["fields"]] == ["note"]
    [message] = refused(draft, designer.move_field_to_page(FieldRef(1, 0), 0))
    assert "最後の項目は移せません" in message
    designer.apply(draft, designer.delete_field(FieldRef(0, 2)))
    assert [f["key"] for f in draft.definition["pages"][0]["fields"]] == ["count", "kind"]
    assert refused(draft, designer.move_field(FieldRef(0, 0), -1)) == ["これ以上動かせません。"]
    assert refused(draft, designer.delete_field(FieldRef(1, 0))) == [
        "ページの最後の項目は削除できません。ページごと削除するか、先に別の項目を追加してください。"
    ]


def test_moving_a_field_after_the_one_whose_condition_uses_it_is_refused(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    designer.apply(draft, designer.move_field_to_page(FieldRef(0, 0), 1))  # same page: allowed
    designer.apply(draft, designer.move_field(FieldRef(1, 2), -1))
    designer.apply(draft, designer.move_field(FieldRef(1, 1), -1))
    assert [f["key"] for f in draft.definition["pages"][1]["fields"]] == ["kind", "phone", "note"]
    designer.apply(draft, designer.add_page(title="予備"))
    messages = refused(draft, designer.move_field_to_page(FieldRef(1, 0), 2))
    assert any("「kind」は後のページの項目です" in m for m in messages)


def test_fields_inside_a_group(world) -> None:
    draft = draft_of(world["procedure"])
    designer.apply(draft, designer.add_field(0, type_="group", label="品目"))
    designer.apply(draft, designer.add_field(0, type_="number", label="個数", group=1))
    group = draft.definition["pages"][0]["fields"][1]
    assert [f["key"] for f in group["fields"]] == ["item", "number_1"]
    designer.apply(
        draft,
        designer.edit_field(
            FieldRef(0, 1, 1), {"key": "qty", "label": "個数", "visible_when": "filled(item)"}
        ),
    )
    designer.apply(draft, designer.move_field(FieldRef(0, 1, 1), -1))
    assert [f["key"] for f in draft.definition["pages"][0]["fields"][1]["fields"]] == ["qty", "item"]
    assert "繰り返し項目の中に繰り返し項目は作れません。" in refused(
        draft, designer.add_field(0, type_="group", label="入れ子", group=1)
    )
    assert "繰り返し項目の中の項目は、ほかのページへ移せません。" in refused(
        draft, designer.move_field_to_page(FieldRef(0, 1, 0), 0)
    )
    [message] = refused(draft, designer.delete_field(FieldRef(0, 1, 1)))  # qty's condition uses item
    assert message.startswith("1ページ目「申請者」の項目「品目」の中の項目「個数」：表示条件：")
    designer.apply(draft, designer.delete_field(FieldRef(0, 1, 0)))
    assert refused(draft, designer.delete_field(FieldRef(0, 1, 0))) == [
        "繰り返し項目には項目が1つ以上必要です。"
    ]


def test_a_field_type_is_changed_keeping_label_and_options(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    designer.apply(draft, designer.change_type(FieldRef(0, 0), "select"))
    kind = draft.definition["pages"][0]["fields"][0]
    assert (kind["type"], kind["label"], kind["required"]) == ("select", "大きさ", True)
    assert [o["value"] for o in kind["options"]] == ["small", "large"]
    designer.apply(draft, designer.change_type(FieldRef(1, 1), "text"))
    assert draft.definition["pages"][1]["fields"][1]["visible_when"] == "kind == 'large'"
    assert refused(draft, designer.change_type(FieldRef(0, 0), "group"))[0].startswith(
        "繰り返し項目の種類は変えられません"
    )


def test_options_text(world) -> None:
    current = [{"value": "bed", "label": "ベッド"}]
    assert designer.parse_options("ベッド\nsofa=ソファ\n机", current) == [
        {"value": "bed", "label": "ベッド"},
        {"value": "sofa", "label": "ソファ"},
        {"value": "option_1", "label": "机"},
    ]
    with pytest.raises(DesignerError) as caught:
        designer.parse_options("ベッド=bed\nsofa=ソファ\nsofa=長いす\nx=", current)
    assert caught.value.messages == [
        "選択肢の1行目：値「ベッド」は半角英数字と _ . - で60文字までにしてください。",
        "選択肢の3行目：値「sofa」が重複しています。",
        "選択肢の4行目：ラベルがありません。",
    ]
    with pytest.raises(DesignerError):
        designer.parse_options("\n  \n")


# --- form settings and fee --------------------------------------------------------------------------


def test_title_description_privacy_and_fee_are_edited(world) -> None:
    add_form_definition(world["procedure"], two_pages())
    draft = draft_of(world["procedure"])
    fee = [
        {
            "label": "処理手数料",
            "amount": "300 * count",
            "when": "",
            "fee_item": "sodai",
            "quantity": "count",
        },
        {"label": "大型加算", "amount": "200", "when": "kind == 'large'", "fee_item": "", "quantity": ""},
    ]
    form = designer.apply(
        draft,
        designer.set_form_settings(
            title="粗大ごみの申込",
            description="説明",
            privacy_notice="取扱い",
            fee_items=fee,
            fee_note="現地で",
        ),
    )
    assert draft.definition["fee"] == {
        "items": [
            {"label": "処理手数料", "amount": "300 * count", "fee_item": "sodai", "quantity": "count"},
            {"label": "大型加算", "amount": "200", "when": "kind == 'large'"},
        ],
        "note": "現地で",
    }
    assert form.fee({"kind": "large", "count": 2}) == 800
    assert form.fee({"kind": "large", "count": 2}, prices={"sodai": 500}) == 1200  # the catalogue's price
    assert form.catalogue_lines({"kind": "large", "count": 2}) == [("処理手数料", "sodai", 2)]
    messages = refused(
        draft,
        designer.set_form_settings(
            title="x",
            description="",
            privacy_notice="取扱い",
            fee_items=[{"label": "手数料", "amount": "100 * weight"}],
            fee_note="",
        ),
    )
    assert messages == ["手数料1「手数料」：金額の式：式「100 * weight」の「weight」という項目はありません。"]
    assert refused(
        draft,
        designer.set_form_settings(title="x", description="", privacy_notice="p", fee_items=[], fee_note="n"),
    ) == ["手数料の説明だけを書くことはできません。手数料の項目を入れてください。"]
    designer.apply(
        draft,
        designer.set_form_settings(title="x", description="", privacy_notice="p", fee_items=[], fee_note=""),
    )
    assert "fee" not in draft.definition
    assert refused(
        draft,
        designer.set_form_settings(title="", description="", privacy_notice="p", fee_items=[], fee_note=""),
    ) == ["フォームの題名：空にできません"]


def test_paths_in_words() -> None:
    data = two_pages()
    assert designer.describe_path(data, "$") == "フォーム全体"
    assert designer.describe_path(data, "$.privacy_notice") == "フォームの個人情報の取扱い"
    assert designer.describe_path(data, "$.pages[0].fields[0].options[1].value") == (
        "1ページ目「出すもの」の項目「大きさ」：選択肢2の値"
    )
    assert designer.describe_path(data, "$.fee.items[0].when") == "手数料1「処理手数料」：条件"
    assert designer.describe_path(data, "$.pages") == "フォームのページ"


# --- publishing -------------------------------------------------------------------------------------


def test_publishing_a_new_form_puts_it_in_the_catalogue_with_its_apply_button(world, client: Client) -> None:
    procedure = world["procedure"]
    procedure.published = False
    procedure.save()
    ProcedureChannel.objects.create(municipality=world["town"], procedure=procedure, kind="counter")
    draft = draft_of(procedure)
    designer.apply(draft, designer.add_field(0, type_="phone", label="日中の電話番号"))
    catalogue = reverse("procedures:catalogue", args=[SLUG])
    assert "粗大ごみ収集の申込" not in client.get(catalogue).content.decode()

    stored = designer.publish(procedure, draft, world["users"]["mine"], online=True)

    assert (stored.version, stored.source, stored.created_by) == (1, "designer", world["users"]["mine"])
    assert not FormDraft.objects.exists()
    procedure.refresh_from_db()
    assert procedure.published
    assert list(procedure.channels.values_list("kind", "status", "order")) == [
        ("counter", "available", 0),
        ("yakusho", "available", 1),
    ]
    html = client.get(catalogue, {"q": "そだいごみ"}).content.decode()
    assert "粗大ごみ収集の申込" in html and "このサイトで申請できます" in html
    apply_url = reverse("procedures:apply", args=[SLUG, "sodai"])
    assert apply_url in client.get(reverse("procedures:detail", args=[SLUG, "sodai"])).content.decode()
    privacy = client.get(apply_url).content.decode()
    assert "個人情報の取扱いについて" in privacy
    response = client.post(apply_url, {"agree": "yes"})
    first = client.get(response["Location"]).content.decode()
    assert "申請者の氏名" in first and "日中の電話番号" in first


def test_a_planned_online_channel_becomes_available(world) -> None:
    procedure = world["procedure"]
    ProcedureChannel.objects.create(
        municipality=world["town"],
        procedure=procedure,
        kind="yakusho",
        status="planned",
        target_fiscal_year=2027,
    )
    designer.publish(procedure, draft_of(procedure))
    assert list(procedure.channels.values_list("kind", "status", "target_fiscal_year")) == [
        ("yakusho", "available", None)
    ]


def test_a_new_version_leaves_submissions_on_theirs(world) -> None:
    procedure = world["procedure"]
    v1 = add_form_definition(procedure, two_pages())
    submission = Submission.objects.create(
        municipality=world["town"],
        procedure=procedure,
        form=v1,
        form_version=1,
        data={"kind": "small", "phone": "0237-62-2111"},
        code="ACEFHJK3",
        secret_hash="x",
        idempotency_key="k",
        submitted_at=timezone.now(),
    )
    draft = draft_of(procedure)
    designer.apply(draft, designer.add_field(1, type_="email", label="メールアドレス"))
    stored = designer.publish(procedure, draft)
    assert stored.version == 2
    assert designer.live_form(procedure) == stored
    submission.refresh_from_db()
    v1.refresh_from_db()
    assert (submission.form_id, submission.form_version) == (v1.pk, 1)
    assert v1.definition == two_pages()
    assert [getattr(v, "submission_count", None) for v in designer.versions(procedure)] == [0, 1]


def test_a_counter_only_form_stays_off_line_unless_staff_ask(world, client: Client) -> None:
    from yakusho.procedures.models import ChannelKind, ProcedureChannel

    procedure = world["procedure"]
    ProcedureChannel.objects.filter(procedure=procedure).delete()
    ProcedureChannel.objects.create(
        municipality=procedure.municipality, procedure=procedure, kind=ChannelKind.COUNTER
    )
    assert not designer.online_by_default(procedure)
    draft = designer.start_draft(procedure)
    designer.apply(draft, designer.add_page(title="連絡先"))
    login_verified(client, world["users"]["mine"])
    page = client.get(url("publish", world)).content.decode()
    assert (
        "このサイトでオンライン申請を受け付ける" in page
        and 'id="publish-online" value="1" checked' not in page
    )
    response = client.post(url("publish", world), {"stamp": stamp(world), "choice": "1"}, follow=True)
    assert "窓口（書かない窓口）で使えます" in response.content.decode()
    assert not designer.is_online(procedure)  # the form serves the counter; no online channel added
    assert procedure.form_definitions.count() == 1
    draft = designer.start_draft(procedure)
    designer.apply(draft, designer.add_page(title="補足"))
    client.post(url("publish", world), {"stamp": stamp(world), "choice": "1", "online": "1"})
    assert designer.is_online(procedure)  # asked for: now residents can apply on the site


def test_publishing_without_changes_is_refused(world) -> None:
    procedure = world["procedure"]
    add_form_definition(procedure, two_pages())
    draft = draft_of(procedure)
    with pytest.raises(DesignerError) as caught:
        designer.publish(procedure, draft)
    assert caught.value.messages == ["公開中の第1版から変わったところがありません。"]
    assert FormDefinition.objects.count() == 1 and FormDraft.objects.count() == 1


def test_a_draft_overtaken_by_an_upload_is_refused(world) -> None:
    procedure = world["procedure"]
    add_form_definition(procedure, two_pages())
    draft = draft_of(procedure)
    designer.apply(draft, designer.add_page(title="追加"))
    add_form_definition(procedure, two_pages(version=2) | {"title": "別の人の変更"})
    with pytest.raises(DesignerError) as caught:
        designer.publish(procedure, draft)
    assert "第1版をもとにしていますが、その後に第2版が登録されました" in caught.value.messages[0]
    assert FormDefinition.objects.count() == 2 and FormDraft.objects.count() == 1


def test_changing_the_type_of_a_field_a_live_rule_uses_is_refused(world) -> None:
    procedure = world["procedure"]
    add_form_definition(procedure, two_pages())
    draft = draft_of(procedure)
    designer.apply(draft, designer.change_type(FieldRef(0, 0), "text"))  # the engine accepts it
    problems = designer.publish_problems(procedure, draft)
    assert problems[0] == (
        "項目「大きさ」（kind）の種類を「ラジオボタン（ひとつ選ぶ）」から「一行テキスト」に変えましたが、"
        "項目「運び出しの注意」の表示条件「kind == 'large'」がこの項目を使っています。"
        "式を直すか、種類を元に戻してください。"
    )
    assert any("手数料1「処理手数料」の条件「kind == 'large'」" in p for p in problems)
    with pytest.raises(DesignerError):
        designer.publish(procedure, draft)
    assert FormDefinition.objects.count() == 1
    # radio → select keeps the options and what the rules compare: allowed
    designer.discard_draft(draft)
    draft = draft_of(procedure)
    designer.apply(draft, designer.change_type(FieldRef(0, 0), "select"))
    assert designer.publish_problems(procedure, draft) == []


def test_a_removed_option_a_rule_still_uses_is_refused(world) -> None:
    procedure = world["procedure"]
    add_form_definition(procedure, two_pages())
    draft = draft_of(procedure)
    options = designer.parse_options("small=小\nbig=大")
    designer.apply(
        draft,
        designer.edit_field(
            FieldRef(0, 0), {"key": "kind", "label": "大きさ", "required": True, "options": options}
        ),
    )
    problems = designer.publish_problems(procedure, draft)
    assert problems == [
        "項目「大きさ」から選択肢「large」を削除しましたが、"
        "項目「運び出しの注意」の表示条件「kind == 'large'」がまだこの選択肢を使っています。",
        "項目「大きさ」から選択肢「large」を削除しましたが、"
        "手数料1「処理手数料」の条件「kind == 'large'」がまだこの選択肢を使っています。",
    ]
    # a rule that compares with an option that never existed is refused too
    designer.apply(
        draft,
        designer.edit_field(
            FieldRef(1, 1),
            {"key": "note", "label": "運び出しの注意", "visible_when": "kind in ['big', 'huge']"},
        ),
    )
    assert any("にない選択肢「huge」を使っています" in p for p in designer.publish_problems(procedure, draft))


def test_a_removed_field_no_rule_uses_any_more_is_fine(world) -> None:
    procedure = world["procedure"]
    add_form_definition(procedure, two_pages())
    draft = draft_of(procedure)
    designer.apply(draft, designer.edit_field(FieldRef(1, 1), {"key": "note", "label": "運び出しの注意"}))
    designer.apply(
        draft,
        designer.set_form_settings(
            title="粗大ごみ収集の申込", description="", privacy_notice="取扱い", fee_items=[], fee_note=""
        ),
    )
    designer.apply(draft, designer.delete_field(FieldRef(0, 0)))
    assert designer.publish_problems(procedure, draft) == []
    changes = designer.changes(two_pages(), draft.definition)
    assert changes.removed == ["大きさ（kind）"]
    assert changes.changed == [("運び出しの注意（note）", ["表示条件"])]
    assert set(changes.settings) == {"個人情報の取扱い", "手数料"}
    assert designer.publish(procedure, draft).version == 2


def test_changes_of_a_first_version_list_every_field(world) -> None:
    changes = designer.changes(None, two_pages())
    assert changes.first and changes.pages_added == ["出すもの", "連絡先"]
    assert changes.added == ["大きさ（kind）", "個数（count）", "電話番号（phone）", "運び出しの注意（note）"]


# --- pages of the designer --------------------------------------------------------------------------


def url(name: str, world: dict[str, Any], *args: Any) -> str:
    return reverse(f"designer:{name}", args=[SLUG, world["procedure"].pk, *args])


def stamp(world: dict[str, Any]) -> str:
    return designer.stamp(FormDraft.objects.get(procedure=world["procedure"]))


@pytest.mark.parametrize("who", ["theirs", "counter", "secretariat"])
def test_others_may_not_design(world, client: Client, who: str) -> None:
    login_verified(client, world["users"][who])
    assert client.get(url("overview", world)).status_code == 403
    assert client.post(url("start", world)).status_code == 403
    assert client.get(reverse("designer:procedure_create", args=[SLUG])).status_code == (
        403 if who != "theirs" else 200
    )
    assert not FormDraft.objects.exists()


def test_department_staff_design_publish_and_see_the_version_list(world, client: Client) -> None:
    login_verified(client, world["users"]["mine"])
    overview = client.get(url("overview", world)).content.decode()
    assert "フォームを作る" in overview
    assert client.post(url("start", world)).status_code == 302
    response = client.post(url("page_add", world), {"stamp": stamp(world), "title": "連絡先"}, follow=True)
    assert "ページ「連絡先」を追加しました。" in response.content.decode()
    response = client.post(
        url("field_add", world),
        {"stamp": stamp(world), "page": "1", "type": "radio", "label": "連絡方法"},
        follow=True,
    )
    html = response.content.decode()
    assert "項目「連絡方法」を追加しました。" in html and "2ページ目：連絡先" in html
    # the field editor: options and a condition
    field_url = url("field", world, "1-1")
    form = client.get(field_url).content.decode()
    assert "option_1=選択肢1" in form
    response = client.post(
        field_url,
        {
            "stamp": stamp(world),
            "key": "contact",
            "label": "連絡方法",
            "options": "tel=電話\nmail=メール",
            "required": "on",
        },
    )
    assert response.status_code == 302
    contact = FormDraft.objects.get().definition["pages"][1]["fields"][1]
    assert contact == {
        "key": "contact",
        "type": "radio",
        "label": "連絡方法",
        "required": True,
        "options": [{"value": "tel", "label": "電話"}, {"value": "mail", "label": "メール"}],
    }
    publish = client.get(url("publish", world)).content.decode()
    assert "第1版を公開する" in publish and "連絡方法（contact）" in publish
    response = client.post(url("publish", world), {"stamp": stamp(world)}, follow=True)
    assert "フォームの第1版を公開しました。" in response.content.decode()
    overview = client.get(url("overview", world)).content.decode()
    assert "第1版" in overview and "（公開中）" in overview and "0件" in overview
    detail = client.get(
        reverse("procedures_staff:detail", args=[SLUG, world["procedure"].pk])
    ).content.decode()
    assert url("overview", world) in detail


def test_a_refused_field_change_shows_the_reason_and_keeps_the_input(world, client: Client) -> None:
    add_form_definition(world["procedure"], two_pages())
    login_verified(client, world["users"]["admin"])
    client.post(url("start", world))
    before = FormDraft.objects.get().definition
    response = client.post(
        url("field", world, "0-1"),
        {"stamp": stamp(world), "key": "count", "label": "個数", "visible_when": "phone == '1'", "min": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "この変更はできません（何も保存していません）" in html
    assert "「phone」は後のページの項目です" in html
    assert "phone == &#x27;1&#x27;" in html  # what was typed is kept
    assert FormDraft.objects.get().definition == before
    # a form error (not a number) names the input
    response = client.post(
        url("field", world, "0-1"), {"stamp": stamp(world), "key": "Count!", "label": "個数", "min": "abc"}
    )
    html = response.content.decode()
    assert "キーは半角英小文字で始め" in html and "数値を入力してください" in html
    assert FormDraft.objects.get().definition == before


def test_a_stale_page_cannot_act(world, client: Client) -> None:
    add_form_definition(world["procedure"], two_pages())
    login_verified(client, world["users"]["admin"])
    client.post(url("start", world))
    old = stamp(world)
    client.post(url("field_move", world, "0-1"), {"stamp": old, "direction": "up"})
    moved = FormDraft.objects.get().definition
    assert [f["key"] for f in moved["pages"][0]["fields"]] == ["count", "kind"]
    response = client.post(url("field_delete", world, "0-0"), {"stamp": old}, follow=True)
    assert "下書きはほかの画面で変更されています" in response.content.decode()
    assert FormDraft.objects.get().definition == moved


def test_bad_addresses_are_not_found(world, client: Client) -> None:
    add_form_definition(world["procedure"], two_pages())
    login_verified(client, world["users"]["admin"])
    client.post(url("start", world))
    assert client.get(url("field", world, "9-9")).status_code == 404
    assert client.get(url("field", world, "x")).status_code == 404
    assert client.get(url("page", world, 7)).status_code == 404
    response = client.post(url("field_delete", world, "0-9"), {"stamp": stamp(world)}, follow=True)
    assert "この項目はありません" in response.content.decode()


def test_the_phone_preview_renders_every_page_and_checks_sample_answers(world, client: Client) -> None:
    add_form_definition(world["procedure"], two_pages())
    login_verified(client, world["users"]["mine"])
    client.post(url("start", world))
    html = client.get(url("preview", world)).content.decode()
    assert "designer-preview-phone" in html
    for label in ("大きさ", "個数", "電話番号", "運び出しの注意"):
        assert label in html
    assert "1 / 2" in html and "2 / 2" in html
    response = client.post(url("preview", world), {"count": "20", "phone": ""})
    html = response.content.decode()
    assert "「大きさ」を選んでください。" in html
    assert "「電話番号」を入力してください。" in html
    assert "10以下" in html
    response = client.post(url("preview", world), {"kind": "large", "count": "2", "phone": "0237-62-2111"})
    html = response.content.decode()
    assert "この入力例は受け付けられます。" in html and "1,000円" in html
    assert not Submission.objects.exists()
    counter = client.get(url("preview_counter", world)).content.decode()
    assert "designer-preview-counter" in counter and "運び出しの注意" in counter


def test_discarding_leaves_the_live_version(world, client: Client) -> None:
    add_form_definition(world["procedure"], two_pages())
    login_verified(client, world["users"]["mine"])
    client.post(url("start", world))
    response = client.post(url("discard", world), {"stamp": stamp(world)}, follow=True)
    assert "下書きを破棄しました。" in response.content.decode()
    assert not FormDraft.objects.exists() and FormDefinition.objects.count() == 1


def test_settings_page_saves_fee_rows(world, client: Client) -> None:
    add_form_definition(world["procedure"], two_pages())
    login_verified(client, world["users"]["mine"])
    client.post(url("start", world))
    page = client.get(url("settings", world)).content.decode()
    assert "500 * count" in page
    data = {
        "stamp": stamp(world),
        "fee_rows": "3",
        "title": "粗大ごみ",
        "privacy_notice": "取扱い",
        "fee_0_label": "処理手数料",
        "fee_0_amount": "500 * count",
        "fee_0_when": "kind == 'large'",
        "fee_1_label": "運搬料",
        "fee_1_amount": "",
    }
    response = client.post(url("settings", world), data)
    assert response.status_code == 200
    assert "金額の式を書いてください（無料なら 0）。" in response.content.decode()
    data["fee_1_amount"] = "oops("
    html = client.post(url("settings", world), data).content.decode()
    assert "手数料2「運搬料」：金額の式：" in html
    data["fee_1_amount"] = "300"
    data["fee_0_fee_item"] = "sodai-gomi"
    data["fee_0_quantity"] = "count"
    assert client.post(url("settings", world), data).status_code == 302
    items = FormDraft.objects.get().definition["fee"]["items"]
    assert [i["label"] for i in items] == ["処理手数料", "運搬料"]
    assert (items[0]["fee_item"], items[0]["quantity"]) == ("sodai-gomi", "count")
    assert "fee_item" not in items[1]
    assert 'value="sodai-gomi"' in client.get(url("settings", world)).content.decode()  # kept next time


# --- a new procedure --------------------------------------------------------------------------------


def test_department_staff_create_a_procedure_of_their_department(world, client: Client) -> None:
    login_verified(client, world["users"]["mine"])
    create = reverse("designer:procedure_create", args=[SLUG])
    page = client.get(create).content.decode()
    assert "町民課" in page and "建設課" not in page
    data = {
        "name": "犬の登録",
        "kana": "いぬのとうろく",
        "department": world["own"].pk,
        "summary": "犬を飼い始めたら",
        "retention_years": "5",
        "life_events": ["pets"],
    }
    response = client.post(create, data)
    procedure = Procedure.objects.get(name="犬の登録")
    assert response["Location"] == reverse("designer:overview", args=[SLUG, procedure.pk])
    assert procedure.key == "inunotouroku"
    assert not procedure.published
    assert list(ProcedureLifeEvent.objects.filter(procedure=procedure).values_list("event", flat=True)) == [
        "pets"
    ]
    assert FormDraft.objects.filter(procedure=procedure).exists()
    assert (
        "手続「犬の登録」を作りました（キー：inunotouroku）"
        in client.get(response["Location"]).content.decode()
    )
    catalogue = client.get(reverse("procedures:catalogue", args=[SLUG])).content.decode()
    assert "犬の登録" not in catalogue
    # the same reading again: another key
    client.post(create, {**data, "name": "犬の登録（2頭目）"})
    assert Procedure.objects.get(name="犬の登録（2頭目）").key == "inunotouroku-2"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"key": "Inu_Touroku"}, "キーは半角英小文字・数字・ハイフンで"),
        ({"key": "sodai"}, "キー「sodai」の手続はすでにあります。"),
        ({"name": ""}, "このフィールドは必須です。"),
        ({"retention_years": "0"}, "1年から100年の間にしてください。"),
        ({"department": "other"}, "正しく選択してください。"),
    ],
)
def test_bad_new_procedures_are_refused(world, client: Client, changes: dict[str, str], message: str) -> None:
    login_verified(client, world["users"]["mine"])
    data = {"name": "犬の登録", "department": world["own"].pk, "retention_years": "5", **changes}
    if data["department"] == "other":
        data["department"] = world["other"].pk
    response = client.post(reverse("designer:procedure_create", args=[SLUG]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Procedure.objects.count() == 1


def test_an_administrator_may_choose_any_department(world, client: Client) -> None:
    login_verified(client, world["users"]["admin"])
    page = client.get(reverse("designer:procedure_create", args=[SLUG])).content.decode()
    assert "町民課" in page and "建設課" in page
