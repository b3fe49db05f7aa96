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
    page = client.get(reverse("plans:kpis", args=["oe", "oe-dx"]) + "?q=LINE").content.decode()
    staff = Membership.objects.filter(municipality__slug="oe", is_active=True).count()
    assert f"計測値：{staff}人（計測値・" in page  # with its source and "as of" beside it
