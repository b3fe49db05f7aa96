"""The staff review form loses nothing (issue 17): one form saves what was typed and makes the
transition, or refuses with everything kept; staff who may not edit see it read-only."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from yakusho.core.models import Role
from yakusho.plans.models import NodeReview
from yakusho.plans.review.forms import KpiEntryForm
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def node_review(demo, plan_from) -> NodeReview:
    edition = plan_from(
        {
            "format": "yakusho-plan/1",
            "municipality": "063240",
            "key": "form-test",
            "title": "評価フォームの試験計画",
            "kind": "計画",
            "first_year": 2024,
            "last_year": 2026,
            "edition": {"number": "1"},
            "level_labels": ["施策"],
            "nodes": [{"key": "a", "title": "窓口のデジタル化", "departments": [{"name": "総務課"}]}],
            "kpis": [
                {
                    "key": "count",
                    "node": "a",
                    "name": "申請件数",
                    "unit": "件",
                    "direction": "increase",
                    "targets": [{"fiscal_year": 2024, "value": 1850, "text": "1,850件"}],
                }
            ],
        }
    ).edition
    cycle = open_cycle(edition, 2024, date(2025, 5, 31))
    return cycle.node_reviews.get()


def url(r: NodeReview) -> str:
    return reverse("reviews:node", args=[r.municipality.slug, r.cycle_id, r.pk])


TYPED = {"status": "in_progress", "progress": "60", "achievements": "窓口の半分で受付を電子化した"}


def test_submitting_after_typing_saves_what_was_typed(
    node_review: NodeReview, client: Client, signed_in
) -> None:
    signed_in(node_review.municipality, Role.DEPARTMENT, ["総務課"])
    response = client.post(url(node_review), {**TYPED, "action": "submit", "comment": "ご確認ください"})
    assert response.status_code == 302
    node_review.refresh_from_db()
    assert node_review.state == NodeReview.State.SUBMITTED
    assert (node_review.progress, node_review.achievements) == (60, TYPED["achievements"])
    page = client.get(url(node_review)).content.decode()
    assert "担当課からのコメント" in page and "事務局からのコメント" not in page


def test_a_refused_transition_keeps_everything_typed_and_saves_nothing(
    node_review: NodeReview, client: Client, signed_in
) -> None:
    signed_in(node_review.municipality, Role.DEPARTMENT, ["総務課"])
    typed = {**TYPED, "progress": "160", "action": "submit", "comment": "途中です"}
    response = client.post(url(node_review), typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert TYPED["achievements"] in page and 'value="160"' in page and "途中です" in page
    node_review.refresh_from_db()
    assert node_review.state == NodeReview.State.DRAFT and node_review.achievements == ""


def test_staff_of_another_department_see_it_read_only(
    node_review: NodeReview, client: Client, signed_in
) -> None:
    signed_in(node_review.municipality, Role.DEPARTMENT, ["健康福祉課"])
    page = client.get(url(node_review)).content.decode()
    assert "表示のみ" in page and 'name="achievements"' not in page
    refused = client.post(url(node_review), {**TYPED, "save": "1"}, follow=True).content.decode()
    assert "あなたの役割・課では変更できません" in refused and "評価を保存しました" not in refused
    node_review.refresh_from_db()
    assert node_review.achievements == ""


def test_the_years_target_stands_beside_the_actuals_input(
    node_review: NodeReview, client: Client, signed_in
) -> None:
    signed_in(node_review.municipality, Role.DEPARTMENT, ["総務課"])
    page = client.get(url(node_review)).content.decode()
    assert "の目標値" in page and "1,850件" in page


@pytest.mark.parametrize("typed", ["1,850", "１，８５０", "1850", "１８５０"])
def test_numbers_are_read_as_people_write_them(typed: str) -> None:
    form = KpiEntryForm({"value": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["value"] == 1850


def test_numeric_inputs_take_full_width_digits_and_commas(
    node_review: NodeReview, client: Client, signed_in
) -> None:
    """A browser's number input would refuse 「７０」 before it is sent: numeric fields are text
    inputs with a numeric keyboard, read by the server."""
    signed_in(node_review.municipality, Role.DEPARTMENT, ["総務課"])
    page = client.get(url(node_review)).content.decode()
    assert 'type="number"' not in page and 'inputmode="numeric"' in page
    client.post(url(node_review), {**TYPED, "progress": "７０", "save": "1"})
    node_review.refresh_from_db()
    assert node_review.progress == 70


def test_finalising_the_year_says_it_publishes_and_asks_first(
    node_review: NodeReview, client: Client, signed_in, staff_of
) -> None:
    from yakusho.plans.models import ReviewCycle
    from yakusho.plans.review.services import transition

    town = node_review.municipality
    transition(node_review, "submit", staff_of(town, Role.DEPARTMENT, ["総務課"]))
    transition(node_review, "accept", staff_of(town, Role.SECRETARIAT))
    signed_in(town, Role.HQ)
    cycle_url = reverse("reviews:cycle", args=[town.slug, node_review.cycle_id])
    page = client.get(cycle_url).content.decode()
    assert "進捗報告が住民に公開され" in page
    refused = client.post(cycle_url, {"action": "finalise_all"}, follow=True).content.decode()
    assert "確認のチェックを入れてください" in refused
    assert ReviewCycle.objects.get(pk=node_review.cycle_id).state != ReviewCycle.State.FINALISED
    client.post(cycle_url, {"action": "finalise_all", "confirm": "yes"})
    assert ReviewCycle.objects.get(pk=node_review.cycle_id).state == ReviewCycle.State.FINALISED
