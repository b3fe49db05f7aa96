"""Richer joint goals (issue 17): yearly targets, a direction, list goals (items and each member's
state per item) and text goals (done / not done with the date); their pages, forms and exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.jcal import format_fiscal_year
from yakusho.core.models import Consortium, Membership, Municipality, Role, User
from yakusho.plans.joint_goals.answers import link_measure, set_item_states, set_text_answer
from yakusho.plans.joint_goals.goals import ItemRow, create_goal, save_goal, update_goal
from yakusho.plans.joint_goals.panels import joint_goals_section
from yakusho.plans.joint_goals.standing import (
    MemberStanding,
    State,
    goal_standing,
    members_of,
    percent_of,
    standing,
    standings,
)
from yakusho.plans.joint_goals.targets import JointGoalError, TargetRow, meets
from yakusho.plans.models import (
    JointGoal,
    JointGoalItem,
    JointGoalItemStatus,
    JointGoalLink,
    JointGoalTarget,
    KpiActual,
)

pytestmark = pytest.mark.django_db

DONE = JointGoalItemStatus.State.DONE
IN_PROGRESS = JointGoalItemStatus.State.IN_PROGRESS
NOT_STARTED = JointGoalItemStatus.State.NOT_STARTED
NOT_APPLICABLE = JointGoalItemStatus.State.NOT_APPLICABLE


def _akita() -> Consortium:
    return Consortium.objects.get(slug="akita")


def _goal(key: str) -> JointGoal:
    return JointGoal.objects.select_related("consortium", "indicator").get(consortium__slug="akita", key=key)


def _secretariat(slug: str) -> Membership:
    return Membership.objects.select_related("municipality").get(
        user__email="dx@example.jp", municipality__slug=slug
    )


def _by_town(rows: list[MemberStanding]) -> dict[str, MemberStanding]:
    return {r.municipality.slug: r for r in rows}


def _consortium_client(client: Client) -> Client:
    login_verified(client, User.objects.get(email="consortium@example.jp"))
    return client


def _list_goal(
    key: str = "t-list", items: tuple[str, ...] = ("甲", "乙", "丙", "丁"), **fields: Any
) -> JointGoal:
    values: dict[str, Any] = {"title": "試験の一覧", "kind": "list", "target_text": "すべて", **fields}
    return save_goal(_akita(), None, {"key": key, **values}, items=[ItemRow(name) for name in items])


def _items(goal: JointGoal) -> dict[str, JointGoalItem]:
    return {item.name: item for item in JointGoalItem.objects.filter(goal=goal)}


def _snapshot() -> list[list[tuple[Any, ...]]]:
    """Everything a goal form or an answer could write."""
    return [
        list(model.objects.order_by("pk").values_list())
        for model in (JointGoal, JointGoalTarget, JointGoalItem, JointGoalItemStatus, JointGoalLink)
    ]


def _latest_misato_value() -> Decimal:
    latest = (
        KpiActual.objects.filter(
            kpi__municipality__slug="misato", kpi__key="kpi-online-procedures", value__isnull=False
        )
        .order_by("-fiscal_year")
        .first()
    )
    assert latest is not None and latest.value is not None
    return latest.value


def _management(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def _goal_post(
    targets: list[dict[str, Any]] | None = None, items: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": "t-form",
        "title": "フォームの試験",
        "kind": "list",
        "direction": "",
        "target_value": "100",
        "target_text": "",
        "target_fiscal_year": "R10",
        "order": "",
        **fields,
    }
    data.update(_management("targets", targets or []))
    data.update(_management("items", items or []))
    return data


# --- demo ---------------------------------------------------------------------------------------


def test_demo_has_a_list_goal_a_text_goal_and_yearly_targets(demo_with_plans) -> None:
    listed = _goal("online-affairs")
    assert listed.kind == "list" and listed.description.startswith("【デモ】")
    assert JointGoalItem.objects.filter(goal=listed).count() == 5
    rows = _by_town(standing(listed, year=2026))
    assert rows["misato"].summary == "完了 3／対象 5（60%）" and rows["misato"].reached is True  # 50 % in R8
    katagami = rows["katagami"]
    assert katagami.summary == "完了 1／対象 4（25%）" and katagami.reached is False
    assert katagami.excluded == "対象外 1件は母数に含めません"
    assert all(c.note for c in katagami.cells)  # every invented state says so in its note
    text = _goal("security-policy-review")
    assert text.kind == "text" and text.description.startswith("【デモ】")
    rows = _by_town(standing(text))
    assert rows["misato"].state == State.DONE and rows["misato"].done_text == "達成（令和8年3月27日）"
    assert rows["katagami"].state == State.NOT_DONE and rows["katagami"].done_on is None
    online = _goal("online-procedures")
    years = dict(JointGoalTarget.objects.filter(goal=online).values_list("fiscal_year", "value"))
    assert years == {2025: Decimal(50), 2026: Decimal(70), 2027: Decimal(85)}


# --- yearly targets and direction ----------------------------------------------------------------


def test_the_year_shown_uses_its_target_else_the_final_one(demo_with_plans) -> None:
    goal = _goal("online-procedures")  # 70件 in R8, final 100件 in R10; 美郷町 measures it
    value = _latest_misato_value()
    misato = _by_town(standing(goal, year=2026))["misato"]
    assert misato.progress == int((value / 70 * 100).to_integral_value())
    assert misato.reached is (value >= 70)
    shown = goal_standing(goal, year=2026).target
    assert shown.value == Decimal(70) and not shown.final and shown.caption == "令和8年度の目標"
    # no target for R11 (after the final year) nor asked: the final target, said so
    shown = goal_standing(goal, year=2029).target
    assert shown.final and shown.value == Decimal(100)
    assert shown.caption == "令和11年度の目標はないため最終目標（令和10年度）"
    misato = _by_town(standing(goal, year=2029))["misato"]
    assert misato.progress == int((value / 100 * 100).to_integral_value())
    assert goal_standing(goal).target.caption == "最終目標（令和10年度）"


@pytest.mark.parametrize(
    ("direction", "offset", "reached"),
    [
        ("", 1, False),  # no direction: at least the target
        ("increase", 1, False),
        ("increase", -1, True),
        ("keep", 0, True),
        ("decrease", 1, True),  # to reduce: at most the target
        ("decrease", -1, False),
    ],
)
def test_the_direction_judges_whether_the_target_is_met(
    demo_with_plans, direction: str, offset: int, reached: bool
) -> None:
    value = _latest_misato_value()
    goal = update_goal(_goal("online-procedures"), direction=direction, target_value=value + offset)
    misato = _by_town(standing(goal, year=None))["misato"]
    assert misato.reached is reached and misato.judgement == ("到達" if reached else "未到達")
    if direction == "decrease":
        assert misato.progress is None  # a share of a ceiling means nothing
    else:
        assert misato.progress is not None
    assert meets(direction, value, value + offset) is reached


# --- list goals -----------------------------------------------------------------------------------


def test_list_goal_counts_done_of_applicable_items_with_the_base(demo_with_plans) -> None:
    goal = _list_goal(target_value=Decimal(60))
    items = _items(goal)
    set_item_states(
        _secretariat("misato"),
        goal,
        {
            items["甲"].pk: (DONE, ""),
            items["乙"].pk: (DONE, "済"),
            items["丙"].pk: (NOT_APPLICABLE, "扱いなし"),
        },
    )  # 丁: no state yet
    set_item_states(
        _secretariat("katagami"), goal, {item.pk: (NOT_APPLICABLE, "") for item in items.values()}
    )
    row = goal_standing(goal)
    towns = {m.municipality.slug: m for m in row.members}
    misato = towns["misato"]
    assert misato.state == State.PARTLY and misato.label == "一部の項目が未回答"
    assert (misato.done_count, misato.applicable, misato.not_applicable, misato.unanswered_items) == (
        2,
        3,
        1,
        1,
    )
    assert misato.percent == 66 and misato.summary == "完了 2／対象 3（66%）"  # rounded down, never up
    assert misato.excluded == "対象外 1件は母数に含めません"
    assert misato.reached is True  # 66.7 % ≥ 60 %
    assert [c.label for c in misato.cells] == ["完了", "完了", "対象外", "未回答"]
    katagami = towns["katagami"]
    assert katagami.state == State.ANSWERED and katagami.percent is None and katagami.reached is None
    assert katagami.summary == "完了 0／対象 0（対象の項目なし）"
    assert any("すべての項目が対象外" in r for r in katagami.remarks)
    totals = {t.item.name: t.summary for t in row.item_totals}
    assert totals["甲"] == "完了 1団体／対象 1団体（100%）" and totals["丙"] == "完了 0団体／対象 0団体"
    assert percent_of(199, 200) == 99 and percent_of(1, 0) is None


def test_staff_add_rename_reorder_and_remove_items(demo_with_plans) -> None:
    goal = _list_goal()
    items = _items(goal)
    set_item_states(_secretariat("misato"), goal, {items["乙"].pk: (NOT_STARTED, "")})
    save_goal(
        _akita(),
        goal,
        {},
        items=[
            ItemRow("丙", id=items["甲"].pk),  # swap two names
            ItemRow("甲", id=items["丙"].pk),
            ItemRow("乙", id=items["乙"].pk, remove=True),  # only 未着手: may go
            ItemRow("戊", order=0),  # new, first
        ],
    )
    now = list(JointGoalItem.objects.filter(goal=goal).order_by("order").values_list("name", "order"))
    assert now == [("戊", 1), ("丙", 2), ("甲", 3), ("丁", 4)]
    assert JointGoalItem.objects.get(goal=goal, name="丙").pk == items["甲"].pk  # renamed, same item
    assert not JointGoalItemStatus.objects.filter(item_id=items["乙"].pk).exists()


def test_an_item_a_member_has_started_cannot_be_removed(demo_with_plans) -> None:
    goal = _list_goal()
    items = _items(goal)
    set_item_states(_secretariat("katagami"), goal, {items["甲"].pk: (IN_PROGRESS, "")})
    before = _snapshot()
    with pytest.raises(JointGoalError, match="着手した構成団体があるため削除できません"):
        save_goal(_akita(), goal, {"title": "改名"}, items=[ItemRow("甲", id=items["甲"].pk, remove=True)])
    assert _snapshot() == before


# --- text goals ----------------------------------------------------------------------------------


def test_text_goal_done_not_done_and_unanswered(demo_with_plans) -> None:
    goal = create_goal(_akita(), key="t-text", title="規程の改定", kind="text", target_text="改定する")
    set_text_answer(_secretariat("misato"), goal, done=True, done_on=date(2026, 4, 1), note="済")
    rows = _by_town(standing(goal))
    assert rows["misato"].state == State.DONE and rows["misato"].done_text == "達成（令和8年4月1日）"
    assert rows["katagami"].state == State.UNANSWERED and rows["katagami"].done_text == "未回答"
    set_text_answer(_secretariat("misato"), goal, done=False, done_on=date(2026, 4, 1))
    link = JointGoalLink.objects.get(goal=goal, municipality__slug="misato")
    assert link.done is False and link.done_on is None  # no date without 達成
    with pytest.raises(JointGoalError, match="達成した日"):
        set_text_answer(_secretariat("katagami"), goal, done=True)
    with pytest.raises(JointGoalError, match="先の日付"):
        set_text_answer(
            _secretariat("katagami"), goal, done=True, done_on=timezone.localdate() + timedelta(days=1)
        )
    assert not JointGoalLink.objects.filter(goal=goal, municipality__slug="katagami").exists()
    with pytest.raises(JointGoalError, match="数値の目標ではない"):
        link_measure(_secretariat("katagami"), goal, note="x")


# --- goal rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "targets", "message"),
    [
        ({"kind": "number", "direction": "qualitative"}, [], "「定性」は選べません"),
        ({"kind": "text", "direction": "decrease", "target_text": "x"}, [], "数値の目標にだけ"),
        ({"kind": "text", "target_text": "", "target_value": Decimal(1)}, [], "目標（文章）」を入力"),
        ({"kind": "list", "target_value": Decimal(120)}, [], "0から100まで"),
        (
            {"kind": "number", "target_value": Decimal(1)},
            [TargetRow(1999, Decimal(1))],
            "2000年度から2100年度",
        ),
        (
            {"kind": "number", "target_value": Decimal(1)},
            [TargetRow(2028, Decimal(1))],
            "より前にしてください",
        ),
        (
            {"kind": "number", "target_value": Decimal(1)},
            [TargetRow(2026, None, "文")],
            "目標値（数値）を入力",
        ),
        ({"kind": "text", "target_text": "x"}, [TargetRow(2026, Decimal(1))], "目標（文章）を入力"),
        (
            {"kind": "number", "target_value": Decimal(1)},
            [TargetRow(2026, Decimal(1)), TargetRow(2026, Decimal(2))],
            "2回あります",
        ),
        ({"kind": "number", "target_value": Decimal("1e15")}, [], "整数14桁"),
        ({"kind": "number", "key": "new", "target_value": Decimal(1)}, [], "使えません"),
    ],
)
def test_goal_rules_refuse_in_japanese_and_save_nothing(
    demo_with_plans, fields: dict[str, Any], targets: list[TargetRow], message: str
) -> None:
    before = _snapshot()
    values = {"key": "t-rule", "title": "規則", "target_fiscal_year": 2028, **fields}
    with pytest.raises(JointGoalError, match=message):
        save_goal(_akita(), None, values, targets=targets)
    assert _snapshot() == before


def test_kind_cannot_change_once_members_have_answered(demo_with_plans) -> None:
    goal = _goal("online-affairs")
    with pytest.raises(JointGoalError, match="目標の種類は変えられません"):
        update_goal(_goal("online-affairs"), kind="text", target_text="x")
    goal.refresh_from_db()
    assert goal.kind == "list"
    # a list goal without answers may become a number goal once its items are removed
    fresh = _list_goal(items=("甲",))
    with pytest.raises(JointGoalError, match="以外の目標には項目を置けません"):
        update_goal(_goal("t-list"), kind="number", target_value=Decimal(5))
    item = JointGoalItem.objects.get(goal=fresh)
    save_goal(
        _akita(),
        _goal("t-list"),
        {"kind": "number", "target_value": Decimal(5)},
        items=[ItemRow("", id=item.pk, remove=True)],
    )
    assert _goal("t-list").kind == "number" and not JointGoalItem.objects.filter(goal=fresh).exists()


# --- who may set a member's states -----------------------------------------------------------------


def test_a_member_writes_only_its_own_states(demo_with_plans, staff_of, client: Client) -> None:
    goal = _goal("online-affairs")
    item = JointGoalItem.objects.get(goal=goal, name="水道の使用開始・中止の届出")
    misato_state = JointGoalItemStatus.objects.get(item=item, municipality__slug="misato")
    assert misato_state.state == NOT_STARTED
    # 潟上市's secretariat writes 潟上市's state, never 美郷町's
    set_item_states(_secretariat("katagami"), goal, {item.pk: (DONE, "")})
    misato_state.refresh_from_db()
    assert misato_state.state == NOT_STARTED
    assert JointGoalItemStatus.objects.get(item=item, municipality__slug="katagami").state == DONE
    # … nor through 美郷町's page: a secretariat of 潟上市 only is refused there
    login_verified(client, staff_of("katagami", Role.SECRETARIAT).user)
    url = reverse("joint_goals:member", args=["misato"])
    data = {"goal": goal.pk, **_management(f"goal-{goal.pk}-items", [{"item": item.pk, "state": DONE}])}
    assert client.post(url, data).status_code == 403
    misato_state.refresh_from_db()
    assert misato_state.state == NOT_STARTED


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.COUNTER, Role.HQ])
def test_other_roles_of_the_member_cannot_set_states(
    demo_with_plans, staff_of, client: Client, role: str
) -> None:
    goal = _goal("online-affairs")
    item = JointGoalItem.objects.get(goal=goal, name="水道の使用開始・中止の届出")
    membership = staff_of("misato", role)
    before = _snapshot()
    with pytest.raises(JointGoalError, match="DX推進室と団体管理者"):
        set_item_states(membership, goal, {item.pk: (DONE, "")})
    login_verified(client, membership.user)
    url = reverse("joint_goals:member", args=["misato"])
    page = client.get(url).content.decode()
    assert "水道の使用開始・中止の届出" in page and "回答できるのは、DX推進室と団体管理者です" in page
    data = {"goal": goal.pk, **_management(f"goal-{goal.pk}-items", [{"item": item.pk, "state": DONE}])}
    assert client.post(url, data).status_code == 403
    text = _goal("security-policy-review")
    assert client.post(url, {"goal": text.pk, f"goal-{text.pk}-done": "done"}).status_code == 403
    assert _snapshot() == before


# --- the member page -------------------------------------------------------------------------------


def test_member_page_sets_states_and_refuses_bad_rows(demo_with_plans, client: Client) -> None:
    goal = _goal("online-affairs")
    items = _items(goal)
    water = items["水道の使用開始・中止の届出"]
    prefix = f"goal-{goal.pk}-items"
    login_verified(client, User.objects.get(email="dx@example.jp"))
    url = reverse("joint_goals:member", args=["misato"])
    page = client.get(url).content.decode()
    assert "完了 3／対象 5（60%）" in page and "None" not in page
    other = _list_goal()  # an item of another goal is no item of this one
    foreign = JointGoalItem.objects.filter(goal=other).first()
    assert foreign is not None
    before = _snapshot()
    for rows, message in (
        ([{"item": foreign.pk, "state": DONE}], "この共通目標にない項目"),
        ([{"item": 2**40, "state": DONE}], "番号が正しくありません"),
        ([{"item": "abc", "state": DONE}], "番号が正しくありません"),
        ([{"item": water.pk, "state": "finished"}], "未着手・実施中・完了・対象外から選んでください"),
        ([{"item": water.pk, "state": DONE, "note": "長" * 301}], "備考：この値は 300 文字以下"),
    ):
        response = client.post(url, {"goal": goal.pk, **_management(prefix, rows)})
        assert response.status_code == 200, rows
        page = response.content.decode()
        assert message in page and "回答を保存できませんでした" in page, message
    # a NUL anywhere in a post is refused before any view (400)
    rows = [{"item": water.pk, "state": DONE, "note": "a\x00b"}]
    assert client.post(url, {"goal": goal.pk, **_management(prefix, rows)}).status_code == 400
    assert _snapshot() == before
    rows = [{"item": water.pk, "state": IN_PROGRESS, "note": "令和9年度に開始"}]
    assert client.post(url, {"goal": goal.pk, **_management(prefix, rows)}).status_code == 302
    status = JointGoalItemStatus.objects.get(item=water, municipality__slug="misato")
    assert (status.state, status.note) == (IN_PROGRESS, "令和9年度に開始")
    # a blank state takes the item back to 未回答
    client.post(url, {"goal": goal.pk, **_management(prefix, [{"item": water.pk, "state": ""}])})
    assert not JointGoalItemStatus.objects.filter(item=water, municipality__slug="misato").exists()
    # bad goal ids are a 404, never a 500
    for bad in ("999999999", "abc", "1" * 30, "-1"):
        assert client.post(url, {"goal": bad}).status_code == 404
    assert client.post(url, {"goal": "1\x00"}).status_code == 400


def test_member_page_answers_a_text_goal(demo_with_plans, client: Client) -> None:
    goal = _goal("security-policy-review")
    prefix = f"goal-{goal.pk}"
    login_verified(client, User.objects.get(email="dx@example.jp"))
    url = reverse("joint_goals:member", args=["katagami"])
    before = _snapshot()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    for data, message in (
        ({f"{prefix}-done": "done", f"{prefix}-note": "見直し済み"}, "達成した日を入力"),
        ({f"{prefix}-done": "done", f"{prefix}-done_on": tomorrow}, "先の日付"),
        ({f"{prefix}-done": "done", f"{prefix}-done_on": "昨日"}, "昨日"),
        ({f"{prefix}-done": "maybe"}, "達成か未達成かを選んでください"),
    ):
        response = client.post(url, {"goal": goal.pk, **data})
        assert response.status_code == 200
        page = response.content.decode()
        assert message in page and "達成日" in page, message
    typed = {"goal": goal.pk, f"{prefix}-done": "done", f"{prefix}-note": "見直し済み"}
    assert "見直し済み" in client.post(url, typed).content.decode()  # kept as typed
    assert _snapshot() == before
    response = client.post(url, {"goal": goal.pk, f"{prefix}-done": "done", f"{prefix}-done_on": "R8.5.1"})
    assert response.status_code == 302
    link = JointGoalLink.objects.get(goal=goal, municipality__slug="katagami")
    assert link.done is True and link.done_on == date(2026, 5, 1)
    page = client.get(url).content.decode()
    assert "令和8年5月1日" in page and "None" not in page


# --- the goal form ---------------------------------------------------------------------------------


def test_staff_create_a_list_goal_with_yearly_targets_and_items(demo_with_plans, client: Client) -> None:
    _consortium_client(client)
    data = _goal_post(
        targets=[
            {"fiscal_year": "R8", "value": "４０"},
            {"fiscal_year": "2027", "value": "70", "text": "7割"},
            {},
        ],
        items=[{"name": "転入届", "order": "2"}, {"name": "転出届", "order": "1"}, {}],
    )
    response = client.post(reverse("joint_goals:create", args=["akita"]), data)
    assert response.status_code == 302
    goal = _goal("t-form")
    assert response["Location"] == reverse("joint_goals:detail", args=["akita", "t-form"])
    assert goal.kind == "list" and goal.target_value == Decimal(100) and goal.target_fiscal_year == 2028
    assert list(goal.targets.order_by("fiscal_year").values_list("fiscal_year", "value", "text")) == [
        (2026, Decimal(40), ""),
        (2027, Decimal(70), "7割"),
    ]
    assert list(goal.items.order_by("order").values_list("name", flat=True)) == ["転出届", "転入届"]
    # the edit form shows what is stored; a post without a target row removes that year's
    edit = client.get(reverse("joint_goals:update", args=["akita", "t-form"])).content.decode()
    assert 'value="令和8年度"' in edit and 'value="転出届"' in edit
    first = goal.items.order_by("order").first()
    assert first is not None
    data = _goal_post(
        targets=[{"fiscal_year": "R9", "value": "70"}],
        items=[{"id": first.pk, "name": "転出届（オンライン）", "order": "1"}],  # NFKC: （ → (
    )
    assert client.post(reverse("joint_goals:update", args=["akita", "t-form"]), data).status_code == 302
    assert list(goal.targets.values_list("fiscal_year", flat=True)) == [2027]
    assert set(goal.items.values_list("name", flat=True)) == {"転出届(オンライン)", "転入届"}


@pytest.mark.parametrize(
    ("change", "message", "typed"),
    [
        ({"items": [{"id": "999999", "name": "偽"}]}, "この共通目標にない項目", "偽"),
        ({"items": [{"id": str(2**40), "name": "偽"}]}, "番号が正しくありません", "偽"),
        ({"targets": [{"fiscal_year": "1999", "value": "5"}]}, "2000年度から2100年度まで", "1999"),
        ({"targets": [{"fiscal_year": "R20", "value": "5"}]}, "より前にしてください", "R20"),
        (
            {"targets": [{"fiscal_year": "R8", "value": "たくさん"}]},
            "目標値は数値で入力してください",
            "たくさん",
        ),
        ({"targets": [{"fiscal_year": "R8", "value": "1" * 40}]}, "整数14桁", "1" * 40),
        ({"targets": [{"fiscal_year": "R8", "value": "NaN"}]}, "目標値は数値で入力してください", "NaN"),
        ({"targets": [{"fiscal_year": "来年", "value": "5"}]}, "年度として読み取れません", "来年"),
        ({"targets": [{"value": "5"}]}, "年度を入力してください", "5"),
        ({"items": [{"name": "同じ"}, {"name": "同じ"}]}, "項目名は重ならない", "同じ"),
        ({"fields": {"target_value": "たくさん"}}, "目標値は数値で入力してください", "たくさん"),
    ],
)
def test_bad_goal_form_input_is_refused_in_japanese_and_saves_nothing(
    demo_with_plans, client: Client, change: dict[str, Any], message: str, typed: str
) -> None:
    _consortium_client(client)
    goal = _goal("online-affairs")
    before = _snapshot()
    data = _goal_post(
        targets=change.get("targets"),
        items=change.get("items"),
        key=goal.key,
        title="フォームの試験",
        **change.get("fields", {}),
    )
    response = client.post(reverse("joint_goals:update", args=["akita", goal.key]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "入力内容を確認してください" in page, message
    assert typed in page  # nothing typed is thrown away
    assert _snapshot() == before


def test_a_nul_in_the_goal_form_is_a_400_and_saves_nothing(demo_with_plans, client: Client) -> None:
    _consortium_client(client)
    before = _snapshot()
    data = _goal_post(items=[{"name": "ぬ\x00る"}])
    assert client.post(reverse("joint_goals:create", args=["akita"]), data).status_code == 400
    assert _snapshot() == before


def test_every_goal_form_error_shows_at_once(demo_with_plans, client: Client) -> None:
    _consortium_client(client)
    data = _goal_post(
        targets=[{"fiscal_year": "R8", "value": "たくさん"}, {"fiscal_year": "1999", "value": "1"}],
        items=[{"name": "同じ"}, {"name": "同じ"}],
        target_fiscal_year="来年",
    )
    before = _snapshot()
    page = client.post(reverse("joint_goals:create", args=["akita"]), data).content.decode()
    assert "目標年度：「来年」を年度として読み取れません" in page
    assert "年度別の目標（1行目）の目標値（数値）：目標値は数値で入力してください" in page
    assert "年度別目標の年度（1999年度）は、2000年度から2100年度までで入力してください。" in page
    assert "項目「同じ」が2つあります" in page
    assert _snapshot() == before


def test_year_outside_the_range_in_a_valid_form_is_named(demo_with_plans, client: Client) -> None:
    _consortium_client(client)
    data = _goal_post(targets=[{"fiscal_year": "1999", "value": "1"}], items=[{"name": "甲"}])
    before = _snapshot()
    page = client.post(reverse("joint_goals:create", args=["akita"]), data).content.decode()
    assert "年度別目標の年度（1999年度）は、2000年度から2100年度までで入力してください。" in page
    assert _snapshot() == before


# --- pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["online-procedures", "online-affairs", "security-policy-review"])
def test_goal_page_shows_each_kind_in_words(demo_with_plans, client: Client, key: str) -> None:
    _consortium_client(client)
    response = client.get(reverse("joint_goals:detail", args=["akita", key]), {"year": "2026"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "None" not in page and "比べる目標" in page
    expected = {
        "online-procedures": ["令和8年度の目標", "70件", "指定なし（目標値以上で達成）", "目標の"],
        "online-affairs": [
            "完了 3／対象 5（60%）",
            "完了 1／対象 4（25%）",
            "対象外 1件は母数に含めません",
            "○</span> 完了",
            "／</span> 対象外",
            "小数点以下を切り捨て",
            "50%",
        ],
        "security-policy-review": [
            "○</span> 達成",
            "×</span> 未達成",
            "令和8年3月27日",
            "最終目標（令和8年度）",
        ],
    }[key]
    for words in expected:
        assert words in page, words


def test_consortium_page_and_list_show_the_new_kinds(demo_with_plans, client: Client) -> None:
    _consortium_client(client)
    page = client.get(reverse("staff:consortium", args=["akita"])).content.decode()
    assert "窓口の事務のオンライン化" in page and "完了 3／対象 5（60%）" in page
    assert "情報セキュリティポリシーの見直し" in page and "達成" in page and "None" not in page
    listing = client.get(reverse("joint_goals:list", args=["akita"]), {"year": "final"}).content.decode()
    assert "最終目標（令和10年度）" in listing and "None" not in listing
    assert "完了 3／対象 5（60%）" in listing


@pytest.mark.parametrize("year", ["abc", "99999", "1999", "2101", "２０２６", "2026\x00"])
def test_a_bad_year_is_a_400(demo_with_plans, client: Client, year: str) -> None:
    _consortium_client(client)
    for url in (
        reverse("joint_goals:detail", args=["akita", "online-affairs"]),
        reverse("joint_goals:list", args=["akita"]),
        reverse("joint_goals:export", args=["akita", "online-affairs", "csv"]),
    ):
        assert client.get(url, {"year": year}).status_code == 400, url
    assert (
        client.get(reverse("joint_goals:export", args=["akita", "online-affairs", "pdf"])).status_code == 404
    )
    assert client.get(reverse("joint_goals:detail", args=["akita", "no-such-goal"])).status_code == 404


def test_member_staff_cannot_read_or_export_the_goal_page(demo_with_plans, client: Client, staff_of) -> None:
    login_verified(
        client, staff_of("misato", Role.ADMIN).user
    )  # a member's administrator is no consortium staff
    assert client.get(reverse("joint_goals:detail", args=["akita", "online-affairs"])).status_code == 403
    assert (
        client.get(reverse("joint_goals:export", args=["akita", "online-affairs", "csv"])).status_code == 403
    )


def _add_members_and_items(goal: JointGoal, members: int, items: int) -> None:
    akita = _akita()
    for _n in range(members):
        akita.members.add(MunicipalityFactory())
    start = JointGoalItem.objects.filter(goal=goal).count()
    for n in range(items):
        item = JointGoalItem.objects.create(goal=goal, consortium=akita, name=f"追加{n}", order=start + n + 1)
        for town in akita.members.all():
            JointGoalItemStatus.objects.create(item=item, municipality=town, state=DONE)


@pytest.mark.parametrize("page", ["detail-list", "detail-text", "detail-number", "list", "export"])
def test_query_count_does_not_grow_with_items_or_members(demo_with_plans, client: Client, page: str) -> None:
    _consortium_client(client)
    goal = _goal("online-affairs")
    url = {
        "detail-list": reverse("joint_goals:detail", args=["akita", "online-affairs"]),
        "detail-text": reverse("joint_goals:detail", args=["akita", "security-policy-review"]),
        "detail-number": reverse("joint_goals:detail", args=["akita", "online-procedures"]),
        "list": reverse("joint_goals:list", args=["akita"]),
        "export": reverse("joint_goals:export", args=["akita", "online-affairs", "xlsx"]),
    }[page]
    counts = []
    for round_ in range(2):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
        if round_ == 0:
            _add_members_and_items(goal, members=3, items=6)
    assert JointGoalItem.objects.filter(goal=goal).count() == 11 and _akita().members.count() == 5
    assert counts[0] == counts[1], counts


def test_consortium_section_queries_do_not_grow_with_items_or_members(demo_with_plans) -> None:
    """The joint goals' section of the consortium page (the page's other sections are not ours)."""
    goal = _goal("online-affairs")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            context = joint_goals_section(_akita())
            html = render_to_string("plans/joint_goals/section.html", context)
        assert "窓口の事務のオンライン化" in html and "None" not in html
        return len(queries)

    before = count()
    _add_members_and_items(goal, members=3, items=6)
    assert count() == before


def test_joint_goal_queries_do_not_grow_with_items_or_members(demo_with_plans) -> None:
    goals = list(JointGoal.objects.filter(consortium__slug="akita").order_by("order"))
    goal = _goal("online-affairs")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            rows = standings(goals, members_of(_akita()), year=2026)
            assert rows
        return len(queries)

    before = count()
    _add_members_and_items(goal, members=3, items=6)
    assert count() == before


# --- exports ---------------------------------------------------------------------------------------


def test_export_neutralises_a_formula_like_item_name(demo_with_plans, client: Client) -> None:
    goal = _goal("online-affairs")
    formula = '=HYPERLINK("http://evil.example","x")'
    item = JointGoalItem.objects.create(goal=goal, consortium=_akita(), name=formula, order=99)
    JointGoalItemStatus.objects.create(
        item=item, municipality=Municipality.objects.get(slug="misato"), state=DONE, note="+1"
    )
    _consortium_client(client)
    response = client.get(reverse("joint_goals:export", args=["akita", goal.key, "csv"]), {"year": "2026"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "'" + formula in rows[0] and formula not in rows[0]
    misato = next(r for r in rows if r[0] == "美郷町")
    assert misato[rows[0].index("'" + formula)] == "完了"
    assert misato[rows[0].index("完了")] == "4" and misato[rows[0].index("対象（母数）")] == "6"
    assert formula + "：+1" in misato[-1]  # inside the cell, where no spreadsheet reads a formula
    response = client.get(reverse("joint_goals:export", args=["akita", goal.key, "xlsx"]), {"year": "2026"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(1, header.index("'" + formula) + 1)
    assert cell.value == "'" + formula and cell.data_type == "s"
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["美郷町"][header.index("完了の割合（%、切り捨て）")] == 66  # 4 of 6, rounded down


def test_exports_of_a_number_and_a_text_goal(demo_with_plans, client: Client) -> None:
    _consortium_client(client)
    response = client.get(
        reverse("joint_goals:export", args=["akita", "online-procedures", "xlsx"]), {"year": "2026"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    misato = rows["美郷町"]
    assert misato[header.index("最新の値")] == _latest_misato_value()
    assert misato[header.index("目標値")] == 70 and misato[header.index("比べる目標")] == "令和8年度の目標"
    response = client.get(reverse("joint_goals:export", args=["akita", "security-policy-review", "csv"]))
    rows_csv = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows_csv[0][:3] == ["団体", "状態", "達成日"]
    assert next(r for r in rows_csv if r[0] == "美郷町")[:3] == ["美郷町", "達成", "2026-03-27"]


# --- the staff-home panel -----------------------------------------------------------------------


def test_panel_counts_list_and_text_goals_left_unanswered(demo_with_plans, client: Client) -> None:
    login_verified(client, User.objects.get(email="dx@example.jp"))
    page = client.get(reverse("staff:home")).content.decode()
    assert "共通目標 5件（未回答 0件）" in page
    JointGoalLink.objects.filter(goal__key="security-policy-review", municipality__slug="misato").update(
        done=None
    )
    JointGoalItemStatus.objects.filter(
        item__name="公共施設の利用予約", municipality__slug="katagami"
    ).delete()
    page = client.get(reverse("staff:home")).content.decode()
    assert page.count("共通目標 5件（未回答 1件）") == 2  # 美郷町: the text goal; 潟上市: one item


# --- editing and deleting -------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["online-procedures", "online-affairs", "security-policy-review"])
def test_edit_form_shows_targets_and_items_in_words(demo_with_plans, client: Client, key: str) -> None:
    _consortium_client(client)
    page = client.get(reverse("joint_goals:update", args=["akita", key])).content.decode()
    assert "None" not in page and "年度別の目標" in page and "項目（項目の一覧の目標）" in page
    for target in JointGoalTarget.objects.filter(goal__key=key):
        assert f'value="{format_fiscal_year(target.fiscal_year, short=True)}"' in page
    for item in JointGoalItem.objects.filter(goal__key=key):
        assert f'value="{item.name}"' in page
    assert "定性" not in page  # a direction the goal form never takes


def test_deleting_a_list_goal_takes_the_members_states_with_it(demo_with_plans, client: Client) -> None:
    _consortium_client(client)
    goal = _goal("online-affairs")
    url = reverse("joint_goals:delete", args=["akita", goal.key])
    assert "構成団体の回答2件も削除されます" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not JointGoal.objects.filter(pk=goal.pk).exists()
    assert not JointGoalItem.objects.filter(goal_id=goal.pk).exists()
    assert not JointGoalItemStatus.objects.filter(item__goal_id=goal.pk).exists()
    assert not JointGoalTarget.objects.filter(goal_id=goal.pk).exists()
