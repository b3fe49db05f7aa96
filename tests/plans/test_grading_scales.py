"""Grading scales edited in the back-office (issue 17): scales of 3 and 5 levels worded by the
municipality, editing while unused, only labels and descriptions once used, retiring instead of
deleting, the edition's scale and what it grades, every error at once with nothing saved, the
audit trail on the scale page, permissions by role and tenancy."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from tests.factories import MunicipalityFactory
from tests.plans.test_report import _make_plan
from yakusho.core.models import Role
from yakusho.plans.models import (
    GradedItem,
    GradingScale,
    NodeReview,
    Plan,
    PlanEdition,
    ReviewGrade,
)
from yakusho.plans.review import scales
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db

EDITORS = (Role.SECRETARIAT, Role.ADMIN)
READERS = (Role.DEPARTMENT, Role.HQ, Role.COUNTER)
THREE = [("◎", "順調", "計画どおりに進んでいる"), ("○", "概ね順調", ""), ("△", "遅れ", "取組の見直しが必要")]
FIVE = [
    ("S", "大きく上回る", "目標を大きく上回った"),
    ("A", "上回る", ""),
    ("B", "概ね達成", ""),
    ("C", "下回る", ""),
    ("D", "大きく下回る", "原因の分析が必要"),
]


@pytest.fixture
def town():
    return MunicipalityFactory(slug="scale-town", name="段階町")


@pytest.fixture
def plan(town) -> Plan:
    edition, _nodes = _make_plan(town)
    return edition.plan


def rows(levels: list[tuple[Any, ...]], *, extra: int = 0, ids: list[int] | None = None) -> dict[str, str]:
    """The level rows as the form posts them (``levels-N-…``), with ``extra`` blank rows."""
    data = {
        "levels-TOTAL_FORMS": str(len(levels) + extra),
        "levels-INITIAL_FORMS": str(len(levels)),
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "30",
    }
    for i, level in enumerate(levels):
        code, label, description = (*level, "")[:3]
        data |= {
            f"levels-{i}-order": str(i + 1),
            f"levels-{i}-code": code,
            f"levels-{i}-label": label,
            f"levels-{i}-description": description,
        }
        if ids is not None and i < len(ids):
            data[f"levels-{i}-id"] = str(ids[i])
    for i in range(len(levels), len(levels) + extra):
        data |= {f"levels-{i}-order": "", f"levels-{i}-code": "", f"levels-{i}-label": ""}
    return data


def create_url(plan: Plan) -> str:
    return reverse("reviews:scale_create", args=[plan.municipality.slug, plan.key])


def scale_url(scale: GradingScale, name: str = "reviews:scale") -> str:
    return reverse(name, args=[scale.municipality.slug, scale.pk])


def levels_of(scale: GradingScale) -> list[tuple[str, str, str]]:
    return [(g.code, g.label, g.description) for g in scale.levels.order_by("order")]


def create(client: Client, plan: Plan, name: str, levels: list[tuple[str, str, str]]) -> GradingScale:
    response = client.post(create_url(plan), {"name": name, "description": "", **rows(levels, extra=2)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return GradingScale.objects.get(plan=plan, name=name)


def used_scale(plan: Plan) -> tuple[GradingScale, NodeReview]:
    """The plan's default scale after a cycle opened, with one review graded (so it is in use)."""
    edition = plan.current_edition
    assert edition is not None
    cycle = open_cycle(edition, 2024, date(2025, 5, 30))
    scale = scales.scale_for(edition)
    review = cycle.node_reviews.order_by("pk").first()
    assert review is not None
    review.grade = scale.levels.get(code="B")
    review.save()
    return scale, review


# --- creating and editing ------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "levels"), [(Role.SECRETARIAT, THREE), (Role.ADMIN, FIVE)])
def test_a_scale_of_any_number_of_levels_in_the_municipalitys_words(
    plan: Plan, client: Client, signed_in, role: str, levels: list[tuple[str, str, str]]
) -> None:
    signed_in(plan.municipality, role)
    scale = create(client, plan, f"{len(levels)}段階", levels)
    assert levels_of(scale) == levels
    page = client.get(scale_url(scale)).content.decode()
    for code, label, description in levels:
        assert f'<th scope="row">{code}</th><td>{label}</td>' in page
        assert description in page
    assert "未使用" in page and "None" not in page
    listing = client.get(reverse("reviews:scales", args=[plan.municipality.slug, plan.key])).content.decode()
    assert f"{len(levels)}段階" in listing


def test_full_width_codes_are_stored_as_typed_by_a_keyboard(plan: Plan, client: Client, signed_in) -> None:
    signed_in(plan.municipality, Role.SECRETARIAT)
    scale = create(client, plan, "全角", [("Ａ", "順調", ""), ("Ｂ", "遅れ", "")])
    assert [code for code, _l, _d in levels_of(scale)] == ["A", "B"]


def test_an_unused_scale_can_be_reordered_added_to_and_shortened(
    plan: Plan, client: Client, signed_in
) -> None:
    signed_in(plan.municipality, Role.SECRETARIAT)
    scale = create(client, plan, "5段階", FIVE)
    ids = list(scale.levels.order_by("order").values_list("pk", flat=True))
    data = {"name": "4段階", "description": "見直した", **rows(FIVE, ids=ids, extra=1)}
    data["levels-4-DELETE"] = "on"  # D goes
    data["levels-0-order"] = "9"  # S moves to the end
    data |= {
        "levels-5-order": "2",
        "levels-5-code": "E",
        "levels-5-label": "新設",
        "levels-5-description": "追加",
    }
    response = client.post(scale_url(scale), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    scale.refresh_from_db()
    assert scale.name == "4段階" and scale.description == "見直した"
    assert [c for c, _l, _d in levels_of(scale)] == ["A", "E", "B", "C", "S"]
    assert not ReviewGrade.objects.filter(pk=ids[4]).exists()
    # every change is in the audit trail, shown on the scale's page (a removed level too)
    level_entries = LogEntry.objects.filter(
        content_type__model="reviewgrade", object_pk__in=[str(i) for i in ids]
    )
    assert level_entries.filter(action=LogEntry.Action.DELETE, object_pk=str(ids[4])).exists()
    assert level_entries.filter(action=LogEntry.Action.UPDATE, object_pk=str(ids[0])).exists()
    assert LogEntry.objects.get_for_object(scale).filter(action=LogEntry.Action.UPDATE).exists()
    page = client.get(scale_url(scale)).content.decode()
    history = page[page.index('id="scale-history-h"') :]
    assert "D 大きく下回る" in history and "削除" in history
    assert "5段階" in history and "4段階" in history and "新設" in history
    assert "None" not in history and "False" not in history


def test_codes_can_be_swapped_while_unused(plan: Plan, client: Client, signed_in) -> None:
    signed_in(plan.municipality, Role.ADMIN)
    scale = create(client, plan, "2段階", [("A", "良い", ""), ("B", "悪い", "")])
    ids = list(scale.levels.order_by("order").values_list("pk", flat=True))
    response = client.post(
        scale_url(scale), {"name": "2段階", **rows([("B", "良い"), ("A", "悪い")], ids=ids)}
    )
    assert response.status_code == 302
    assert [(g.pk, g.code) for g in scale.levels.order_by("order")] == [(ids[0], "B"), (ids[1], "A")]


def test_more_rows_keep_everything_typed(plan: Plan, client: Client, signed_in) -> None:
    signed_in(plan.municipality, Role.SECRETARIAT)
    data = {"name": "6段階の案", "description": "検討中", **rows(FIVE), "add_row": "1"}
    response = client.post(create_url(plan), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="6段階の案"' in page and "検討中" in page and 'value="大きく下回る"' in page
    assert 'name="levels-5-code"' in page and 'name="levels-6-code"' not in page
    assert not GradingScale.objects.filter(plan=plan).exists()


def test_every_error_at_once_naming_field_and_row_and_nothing_saved(
    plan: Plan, client: Client, signed_in
) -> None:
    signed_in(plan.municipality, Role.SECRETARIAT)
    levels = [("", "順調", "説明は残る"), ("B", "遅れ", ""), ("B", "", ""), ("12345", "長い", "")]
    response = client.post(create_url(plan), {"name": "", "description": "下書き", **rows(levels)})
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[
        page.index('class="error-summary"') : page.index("</div>", page.index('class="error-summary"'))
    ]
    assert "名称：名称を入力してください" in summary
    assert "区分1の記号：記号を入力してください" in summary
    assert "区分3の記号：記号「B」は区分2と同じです" in summary
    assert "区分3の意味：意味を入力してください" in summary
    assert "区分4の記号：" in summary  # too long (the form's own message, in Japanese)
    assert "説明は残る" in page and "下書き" in page and 'value="12345"' in page
    assert not GradingScale.objects.filter(plan=plan).exists() and not ReviewGrade.objects.exists()


def test_a_scale_needs_two_levels_and_a_name_of_its_own(plan: Plan, client: Client, signed_in) -> None:
    signed_in(plan.municipality, Role.SECRETARIAT)
    response = client.post(create_url(plan), {"name": "1段階", **rows([("A", "順調")], extra=3)})
    assert response.status_code == 400 and "区分：区分を2つ以上入力してください" in response.content.decode()
    create(client, plan, "3段階", THREE)
    response = client.post(create_url(plan), {"name": "3段階", **rows(THREE)})
    assert response.status_code == 400
    assert "名称：この計画には「3段階」という評価の段階がすでにあります" in response.content.decode()
    assert GradingScale.objects.filter(plan=plan).count() == 1


# --- a scale in use ----------------------------------------------------------------------------


def test_a_used_scale_takes_new_labels_and_descriptions(plan: Plan, client: Client, signed_in) -> None:
    scale, _review = used_scale(plan)
    signed_in(plan.municipality, Role.SECRETARIAT)
    levels = levels_of(scale)
    ids = list(scale.levels.order_by("order").values_list("pk", flat=True))
    worded = [(code, f"{label}（改）", "町の言葉で") for code, label, _d in levels]
    response = client.post(scale_url(scale), {"name": scale.name, **rows(worded, ids=ids)})
    assert response.status_code == 302
    assert levels_of(scale) == worded
    assert (
        LogEntry.objects.get_for_object(scale.levels.get(code="A"))
        .filter(action=LogEntry.Action.UPDATE)
        .exists()
    )


@pytest.mark.parametrize("change", ["reorder", "recode", "add", "remove"])
def test_a_used_scale_refuses_other_changes_and_saves_nothing(
    plan: Plan, client: Client, signed_in, change: str
) -> None:
    scale, _review = used_scale(plan)
    signed_in(plan.municipality, Role.ADMIN)
    before = levels_of(scale)
    ids = list(scale.levels.order_by("order").values_list("pk", flat=True))
    typed = [(code, f"{label}（改）", "") for code, label, _d in before]
    data = {"name": "名前も変えた", **rows(typed, ids=ids)}
    if change == "reorder":
        data["levels-0-order"] = "9"
    elif change == "recode":
        data["levels-0-code"] = "Z"
    elif change == "add":
        data |= {"levels-TOTAL_FORMS": "5", "levels-4-code": "E", "levels-4-label": "追加"}
    else:
        data["levels-TOTAL_FORMS"] = "3"  # D left out
    response = client.post(scale_url(scale), data)
    assert response.status_code == 409
    page = response.content.decode()
    assert (
        "区分：この評価の段階は評価で使われているため、区分の追加・削除・並べ替えと記号の変更はできません"
        in page
    )
    assert "目標どおり（改）" in page  # what was typed is still there
    scale.refresh_from_db()
    assert scale.name != "名前も変えた" and levels_of(scale) == before


def test_a_used_scale_is_retired_never_deleted(plan: Plan, client: Client, signed_in) -> None:
    scale, _review = used_scale(plan)
    signed_in(plan.municipality, Role.SECRETARIAT)
    page = client.get(scale_url(scale)).content.decode()
    assert (
        scale_url(scale, "reviews:scale_retire") in page
        and scale_url(scale, "reviews:scale_delete") not in page
    )
    assert "使用終了" in page and "評価で使用中" in page
    response = client.post(scale_url(scale, "reviews:scale_delete"))
    assert response.status_code == 409
    assert (
        "この評価の段階は評価で使われているため削除できません。使用終了にしてください。"
        in response.content.decode()
    )
    assert GradingScale.objects.filter(pk=scale.pk).exists() and scale.levels.count() == 4
    # the current edition still uses it: retiring it is refused too, in words
    response = client.post(scale_url(scale, "reviews:scale_retire"), {"action": "retire"})
    assert response.status_code == 409 and "現行版で使っているため" in response.content.decode()
    scale.refresh_from_db()
    assert not scale.retired


def test_a_retired_scale_cannot_be_chosen_until_it_is_restored(plan: Plan, client: Client, signed_in) -> None:
    scale, _review = used_scale(plan)
    old = plan.current_edition
    assert old is not None
    new = PlanEdition.objects.create(
        municipality=plan.municipality,
        plan=plan,
        number="2",
        title=old.title,
        kind=old.kind,
        first_year=old.first_year,
        last_year=old.last_year,
        level_labels=old.level_labels,
        digest="y",
    )
    Plan.objects.filter(pk=plan.pk).update(current_edition=new)
    signed_in(plan.municipality, Role.SECRETARIAT)
    other = create(client, plan, "3段階", THREE)
    choose = reverse("reviews:scales", args=[plan.municipality.slug, plan.key])
    assert (
        client.post(
            choose, {"edition": new.pk, f"e{new.pk}-grading_scale": other.pk, f"e{new.pk}-graded": "node"}
        ).status_code
        == 302
    )

    response = client.post(scale_url(scale, "reviews:scale_retire"), {"action": "retire"})
    assert response.status_code == 302
    scale.refresh_from_db()
    assert scale.retired and scale.levels.count() == 4
    assert "使用終了" in client.get(choose).content.decode()

    response = client.post(
        choose, {"edition": new.pk, f"e{new.pk}-grading_scale": scale.pk, f"e{new.pk}-graded": "node"}
    )
    assert response.status_code == 400
    assert (
        "評価の段階：「4段階（A・B・C・D）」は使用終了になっているため選べません" in response.content.decode()
    )
    new.refresh_from_db()
    assert new.grading_scale_id == other.pk

    assert client.post(scale_url(scale, "reviews:scale_retire"), {"action": "restore"}).status_code == 302
    assert (
        client.post(
            choose, {"edition": new.pk, f"e{new.pk}-grading_scale": scale.pk, f"e{new.pk}-graded": "node"}
        ).status_code
        == 302
    )
    new.refresh_from_db()
    assert new.grading_scale_id == scale.pk
    retire_entries = LogEntry.objects.get_for_object(scale).filter(action=LogEntry.Action.UPDATE)
    assert retire_entries.count() == 2  # retired, then restored


def test_an_unused_scale_is_deleted_with_its_levels(plan: Plan, client: Client, signed_in) -> None:
    signed_in(plan.municipality, Role.ADMIN)
    scale = create(client, plan, "3段階", THREE)
    ids = list(scale.levels.values_list("pk", flat=True))
    page = client.get(scale_url(scale)).content.decode()
    assert scale_url(scale, "reviews:scale_delete") in page
    assert client.get(scale_url(scale, "reviews:scale_delete")).status_code == 200
    response = client.post(scale_url(scale, "reviews:scale_delete"))
    assert response.status_code == 302
    assert (
        not GradingScale.objects.filter(pk=scale.pk).exists()
        and not ReviewGrade.objects.filter(pk__in=ids).exists()
    )
    deleted = LogEntry.objects.filter(
        action=LogEntry.Action.DELETE, object_pk__in=[str(scale.pk), *map(str, ids)]
    )
    assert deleted.count() == 4


def test_a_scale_an_edition_has_chosen_is_not_deleted(plan: Plan, client: Client, signed_in) -> None:
    signed_in(plan.municipality, Role.ADMIN)
    scale = create(client, plan, "3段階", THREE)
    edition = plan.current_edition
    assert edition is not None
    scales.choose_for_edition(edition, scale, GradedItem.DEPARTMENT)
    response = client.post(scale_url(scale, "reviews:scale_delete"))
    assert (
        response.status_code == 409
        and "で使うことになっているため削除できません" in response.content.decode()
    )
    assert GradingScale.objects.filter(pk=scale.pk).exists()


# --- an edition's scale and what it grades ---------------------------------------------------------


def test_an_edition_chooses_its_scale_and_what_is_graded(plan: Plan, client: Client, signed_in) -> None:
    signed_in(plan.municipality, Role.SECRETARIAT)
    scale = create(client, plan, "5段階", FIVE)
    edition = plan.current_edition
    assert edition is not None
    url = reverse("reviews:scales", args=[plan.municipality.slug, plan.key])
    data = {"edition": edition.pk, f"e{edition.pk}-grading_scale": scale.pk, f"e{edition.pk}-graded": "kpi"}
    assert client.post(url, data).status_code == 302
    edition.refresh_from_db()
    assert (edition.grading_scale_id, edition.graded) == (scale.pk, GradedItem.KPI)
    assert LogEntry.objects.get_for_object(edition).filter(action=LogEntry.Action.UPDATE).exists()
    page = client.get(url).content.decode()
    history = page[page.index('id="edition-history-h"') :]
    assert "5段階" in history and "KPIごと" in history
    assert "5段階" in client.get(scale_url(scale)).content.decode().split('id="scale-history-h"')[1]
    # a cycle opened now uses the chosen scale
    cycle = open_cycle(edition, 2024, date(2025, 5, 30))
    assert cycle.edition.grading_scale_id == scale.pk


@pytest.mark.parametrize("field", ["grading_scale", "graded"])
def test_once_a_review_is_graded_the_edition_keeps_its_scale_and_kind(
    plan: Plan, client: Client, signed_in, field: str
) -> None:
    used, _review = used_scale(plan)
    signed_in(plan.municipality, Role.SECRETARIAT)
    other = create(client, plan, "3段階", THREE)
    edition = plan.current_edition
    assert edition is not None
    data = {
        "edition": edition.pk,
        f"e{edition.pk}-grading_scale": other.pk if field == "grading_scale" else used.pk,
        f"e{edition.pk}-graded": "node" if field == "graded" else "department",
    }
    url = reverse("reviews:scales", args=[plan.municipality.slug, plan.key])
    response = client.post(url, data)
    assert response.status_code == 400
    what = "評価の段階" if field == "grading_scale" else "評価の対象"
    assert (
        f"{what}：この版の進捗評価にはすでに評価が入っているため、{what}は変えられません"
        in response.content.decode()
    )
    edition.refresh_from_db()
    assert (edition.grading_scale_id, edition.graded) == (used.pk, GradedItem.DEPARTMENT)


# --- who may do what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*EDITORS, *READERS])
def test_every_role_reads_only_the_secretariat_and_admin_change(
    plan: Plan, client: Client, signed_in, role: str
) -> None:
    scale, _review = used_scale(plan)
    signed_in(plan.municipality, role)
    town = plan.municipality.slug
    assert client.get(reverse("reviews:scales", args=[town, plan.key])).status_code == 200
    page = client.get(scale_url(scale)).content.decode()
    editor = role in EDITORS
    assert ('name="levels-0-label"' in page) == editor
    expected = 200 if editor else 403
    assert client.get(create_url(plan)).status_code == expected
    assert client.get(scale_url(scale, "reviews:scale_retire")).status_code == expected
    assert client.get(scale_url(scale, "reviews:scale_delete")).status_code == expected
    if not editor:
        before = levels_of(scale)
        assert client.post(create_url(plan), {"name": "勝手に", **rows(THREE)}).status_code == 403
        ids = list(scale.levels.order_by("order").values_list("pk", flat=True))
        changed = [(c, "変えた", "") for c, _l, _d in before]
        assert client.post(scale_url(scale), {"name": "x", **rows(changed, ids=ids)}).status_code == 403
        assert client.post(scale_url(scale, "reviews:scale_retire"), {"action": "retire"}).status_code == 403
        assert client.post(scale_url(scale, "reviews:scale_delete")).status_code == 403
        scale.refresh_from_db()
        assert levels_of(scale) == before and not scale.retired
        assert not GradingScale.objects.filter(name="勝手に").exists()


def test_another_municipalitys_scale_is_not_found(plan: Plan, client: Client, signed_in) -> None:
    scale, _review = used_scale(plan)
    elsewhere = MunicipalityFactory(slug="elsewhere-scales")
    signed_in(elsewhere, Role.ADMIN)
    for name in ("reviews:scale", "reviews:scale_delete", "reviews:scale_retire"):
        assert client.get(reverse(name, args=[elsewhere.slug, scale.pk])).status_code == 404
        assert (
            client.post(reverse(name, args=[elsewhere.slug, scale.pk]), {"action": "retire"}).status_code
            == 404
        )
    assert client.get(reverse("reviews:scales", args=[elsewhere.slug, plan.key])).status_code == 404
    assert client.get(scale_url(scale)).status_code == 403  # not a member of that town
    scale.refresh_from_db()
    assert not scale.retired and GradingScale.objects.filter(pk=scale.pk).exists()


def test_hostile_ids_are_refused_and_change_nothing(plan: Plan, client: Client, signed_in) -> None:
    signed_in(plan.municipality, Role.SECRETARIAT)
    mine = create(client, plan, "3段階", THREE)
    theirs = create(client, plan, "5段階", FIVE)
    stranger = theirs.levels.get(code="S")
    ids = [stranger.pk, *mine.levels.order_by("order").values_list("pk", flat=True)[1:]]
    response = client.post(scale_url(mine), {"name": "3段階", **rows(THREE, ids=ids)})
    assert (
        response.status_code == 400 and "この評価の段階にない区分が送られました" in response.content.decode()
    )
    assert levels_of(mine) == THREE and levels_of(theirs) == FIVE
    response = client.post(scale_url(mine), {"name": "3段階", **rows(THREE), "levels-0-id": "abc"})
    assert response.status_code == 400 and levels_of(mine) == THREE
    url = reverse("reviews:scales", args=[plan.municipality.slug, plan.key])
    assert client.post(url, {"edition": "abc"}).status_code == 404
    other_plan = _make_plan(MunicipalityFactory(slug="far-town"))[0]
    assert client.post(url, {"edition": other_plan.pk}).status_code == 404
    edition = plan.current_edition
    assert edition is not None
    hostile = {
        "edition": edition.pk,
        f"e{edition.pk}-grading_scale": "99999",
        f"e{edition.pk}-graded": "everything",
    }
    response = client.post(url, hostile)
    assert response.status_code == 400
    page = response.content.decode()
    assert "評価の段階：" in page and "評価の対象：" in page
    edition.refresh_from_db()
    assert edition.grading_scale_id is None and edition.graded == GradedItem.DEPARTMENT
