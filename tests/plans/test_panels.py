"""The staff home's plan panel, and metric figures beside KPI actuals."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import login_verified
from yakusho.core.models import Membership, User
from yakusho.plans.models import Kpi

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("email", "shown"),
    [
        ("dx@example.jp", True),
        ("hq@example.jp", True),
        ("dept@example.jp", True),
        ("counter@example.jp", False),
    ],
)
def test_plan_panel_by_role(demo_with_plans, client: Client, email: str, shown: bool) -> None:
    login_verified(client, User.objects.get(email=email))
    page = client.get(reverse("staff:home")).content.decode()
    panels = re.findall(r'data-panel="plans.summary"', page)
    assert (len(panels) == 5) is shown
    if shown:
        assert "大江町DX推進計画" in page and "KPI：達成" in page


def test_metric_figure_beside_actuals(demo_with_plans, client: Client) -> None:
    kpi = Kpi.objects.get(edition__plan__key="oe-dx", name="LINE友だち数")
    kpi.metric = "core.active_staff"
    kpi.save(update_fields=["metric"])
    url = reverse("plans:kpis", args=["oe", "oe-dx"]) + "?q=LINE"
    from django.core.cache import caches
    from django.utils import timezone

    from yakusho.core.jcal import fiscal_year_of
    from yakusho.core.models import Municipality
    from yakusho.metrics.registry import Period, registry

    assert "計測値：まだ集計していません" in client.get(url).content.decode()  # pages never measure
    oe = Municipality.objects.get(slug="oe")
    registry.refresh(oe, Period.fiscal_year(fiscal_year_of(timezone.localdate())), ["core.active_staff"])
    caches["pages"].clear()  # the refresh replaces the data version on commit, which this test never reaches
    page = client.get(url).content.decode()
    staff = Membership.objects.filter(municipality__slug="oe", is_active=True).count()
    assert f"計測値：{staff}人（計測値・" in page  # with its source and "as of" beside it
    assert "時点の集計・年度途中の値" in page


@pytest.mark.django_db(transaction=True)
def test_threads_judge_a_plan_once_for_its_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four threads of one process asking for the same plan's counts at once: one judges the plan
    (a 5,000-KPI plan's judging is what makes a process grow), the others get its counts."""
    import threading
    import time

    from yakusho.plans import panels
    from yakusho.plans.achievement import Status

    judged: list[int] = []

    def slow_statuses(edition_id: int) -> dict[int, Status]:
        judged.append(edition_id)
        time.sleep(0.1)
        return {1: Status.ACHIEVED, 2: Status.ACHIEVED, 3: Status.NO_DATA}

    monkeypatch.setattr(panels, "statuses", slow_statuses)
    panels.data_versions("threads-town")  # the versions exist, as after any first request
    started = threading.Barrier(4)
    results: list[dict[str, int]] = []

    def ask() -> None:
        started.wait()
        results.append(panels.status_counts(987654, "threads-town"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert judged == [987654]
    assert len(results) == 4
    assert all(r == results[0] for r in results)
    assert results[0][Status.ACHIEVED.value] == 2 and results[0][Status.NO_DATA.value] == 1
