"""The demo's yearly reviews (data/demo/reviews/): loaded once, marked as demo, printed actuals kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.helpers import login_verified
from yakusho.core.models import Municipality, User
from yakusho.plans.demo.reviews import fixture_files, load_demo_reviews
from yakusho.plans.models import KpiActual, NodeReview, ReviewCycle

pytestmark = pytest.mark.django_db


def test_every_fixture_becomes_a_demo_cycle(demo_with_reviews) -> None:
    cycles = list(ReviewCycle.objects.select_related("edition__plan", "municipality"))
    assert len(cycles) == len(fixture_files()) == 10
    assert all(c.demo for c in cycles)
    by_key = {(c.municipality.slug, c.fiscal_year): c for c in cycles}
    assert by_key[("misato", 2024)].state == ReviewCycle.State.FINALISED
    assert by_key[("oe", 2025)].state == ReviewCycle.State.OPEN
    # 村上市's 2023 review stays on the edition it was made on (第2.0版), later ones on 第2.3版.
    assert by_key[("murakami", 2023)].edition.number == "2.0"
    assert by_key[("murakami", 2024)].edition.number == "2.3"
    assert not any(slug == "katagami" for slug, _year in by_key)  # its plan starts in 2026


def test_finalised_cycles_are_finalised_throughout_and_open_ones_are_mixed(demo_with_reviews) -> None:
    for cycle in ReviewCycle.objects.all():
        states = set(cycle.node_reviews.values_list("state", flat=True))
        if cycle.state == ReviewCycle.State.FINALISED:
            assert states == {NodeReview.State.FINALISED}
        else:
            assert NodeReview.State.FINALISED not in states and len(states) > 1


def grades_of(cycle: ReviewCycle, node_key: str) -> set[str | None]:
    reviews = cycle.node_reviews.filter(node__key=node_key).select_related("grade")
    return {r.grade.code if r.grade else None for r in reviews}


def test_misatos_printed_actuals_are_kept_and_grade_their_nodes(demo_with_reviews) -> None:
    """美郷町's plan prints 令和6年度 actuals: オンライン手続数 63 against a target of 60 (ahead: A),
    受講者数 49 against 50 (at 98 %: B)."""
    misato = Municipality.objects.get(slug="misato")
    online = KpiActual.objects.get(
        kpi__edition__plan__municipality=misato, kpi__key="kpi-online-procedures", fiscal_year=2024
    )
    assert (online.value, online.source) == (Decimal(63), KpiActual.Source.PLAN)
    cycle = ReviewCycle.objects.get(municipality=misato, fiscal_year=2024)
    assert grades_of(cycle, "g1-1") == {"A"}
    assert grades_of(cycle, "g3-1") == {"B"}
    made_up = KpiActual.objects.filter(kpi__edition__plan__municipality=misato, fiscal_year=2025)
    assert made_up.exists() and all(a.note == "デモデータ" for a in made_up)


def test_loading_twice_changes_nothing(demo_with_reviews) -> None:
    before = (ReviewCycle.objects.count(), NodeReview.objects.count(), KpiActual.objects.count())
    assert load_demo_reviews() == 0
    assert (ReviewCycle.objects.count(), NodeReview.objects.count(), KpiActual.objects.count()) == before


def test_demo_cycles_say_so_on_the_staff_pages(demo_with_reviews, client: Client) -> None:
    cycle = ReviewCycle.objects.get(municipality__slug="oe", fiscal_year=2025)
    login_verified(client, User.objects.get(email="dx@example.jp"))
    page = client.get(f"/staff/m/oe/reviews/{cycle.pk}/").content.decode()
    assert "デモ用に作成したもので、団体が公表したものではありません" in page
