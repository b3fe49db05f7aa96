"""Plan pages: the five plans read on the web, helpful 404s, filters, and query counts that do not
grow with the plan."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory
from tests.helpers import login_verified
from yakusho.core.models import Department, Municipality, Role
from yakusho.plans.models import Plan

pytestmark = pytest.mark.django_db

PLANS = {
    "katagami": ("katagami-dx", "潟上市DX推進計画"),
    "itako": ("itako-dx", "潮来市DX推進計画"),
    "murakami": ("murakami-dx", "村上市"),
    "oe": ("oe-dx", "大江町DX推進計画"),
    "misato": ("misato-dx-action-plan", "美郷町DX推進基本計画"),
}


@pytest.mark.parametrize("slug", list(PLANS))
def test_each_plan_reads_on_the_web(demo_with_plans, client: Client, slug: str) -> None:
    key, title = PLANS[slug]
    overview = client.get(reverse("plans:overview", args=[slug, key])).content.decode()
    assert title in overview and "施策の体系" in overview
    for name in ("roadmap", "kpis", "alignment"):
        response = client.get(reverse(f"plans:{name}", args=[slug, key]))
        assert response.status_code == 200, name
    listing = client.get(reverse("plans:list", args=[slug])).content.decode()
    assert reverse("plans:overview", args=[slug, key]) in listing
    home = client.get(reverse("public:municipality", args=[slug])).content.decode()
    assert reverse("plans:list", args=[slug]) in home


def test_overview_counts_levels_with_the_plans_own_labels(demo_with_plans, client: Client) -> None:
    page = client.get(reverse("plans:overview", args=["oe", "oe-dx"])).content.decode()
    assert "基本目標 3・施策分野 7・具体的施策 33" in page
    assert "KPI 24件を見る" in page  # 25 rows, one of them a reprint (再掲) of another: counted once


def test_node_page_has_breadcrumbs_by_level_labels(demo_with_plans, client: Client) -> None:
    oe = Plan.objects.get(key="oe-dx").current_edition
    assert oe is not None
    node = oe.nodes.get(code="(1)-2-2")
    page = client.get(reverse("plans:node", args=["oe", "oe-dx", node.key])).content.decode()
    assert "SNS" in page and "LINE友だち数" in page and "569人" in page and "令和6年2月1日現在" in page
    assert "基本目標 (1)" in page and "施策分野 (1)-2" in page
    assert "総務課" in page


def test_edition_switch_shows_the_older_edition(demo_with_plans, client: Client) -> None:
    url = reverse("plans:overview", args=["murakami", "murakami-dx"])
    current = client.get(url).content.decode()
    older = client.get(url + "?edition=2.0").content.decode()
    assert "第2.3版" in current and "第2.0版" in older
    assert "窓口サービス改革" in older


@pytest.mark.parametrize(
    "path",
    [
        "/m/nowhere/plans/",
        "/m/oe/plans/no-such-plan/",
        "/m/oe/plans/oe-dx/nodes/no-such-node/",
        "/m/oe/plans/oe-dx/?edition=9.9",
        "/m/oe/plans/oe-dx/roadmap/?edition=9.9",
    ],
)
def test_unknown_things_get_a_helpful_404(demo_with_plans, client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert "ページが見つかりません" in page and reverse("public:home") in page


@pytest.mark.parametrize("query", ["department=abc", "department=999999", "policy=-1", "item=jdx9.moon"])
def test_invalid_roadmap_filters_are_ignored_with_a_message(
    demo_with_plans, client: Client, query: str
) -> None:
    url = reverse("plans:roadmap", args=["itako", "itako-dx"])
    full = client.get(url).content.decode()
    response = client.get(f"{url}?{query}")
    page = response.content.decode()
    assert response.status_code == 200 and "無視しました" in page
    assert page.count('class="roadmap-row depth') == full.count('class="roadmap-row depth')


def test_roadmap_filters_by_department_and_policy(demo_with_plans, client: Client) -> None:
    itako = Municipality.objects.get(slug="itako")
    office = Department.objects.get(municipality=itako, name="DX戦略室")
    url = reverse("plans:roadmap", args=["itako", "itako-dx"])
    all_rows = client.get(url).content.decode().count('class="roadmap-row depth')
    dept_rows = client.get(f"{url}?department={office.pk}").content.decode().count('class="roadmap-row depth')
    assert 0 < dept_rows < all_rows
    page = client.get(reverse("plans:department", args=["itako", "itako-dx", office.pk])).content.decode()
    assert "DX戦略室が担当する項目" in page


def test_kpi_filters(demo_with_plans, client: Client) -> None:
    url = reverse("plans:kpis", args=["oe", "oe-dx"])
    assert "無視しました" in client.get(url + "?status=wonderful").content.decode()
    page = client.get(url + "?q=LINE").content.decode()
    assert "LINE友だち数" in page and "マイナンバー取得率" not in page


def test_alignment_matrix_and_uncovered_items(demo_with_plans, client: Client) -> None:
    page = client.get(reverse("plans:alignment", args=["itako", "itako-dx"])).content.decode()
    assert "自治体の情報システムの標準化・共通化" in page and "●" in page
    assert "計画が扱っていない国の項目" in page


def test_glossary_search_across_plans(demo_with_plans, client: Client) -> None:
    page = client.get(reverse("plans:glossary", args=["itako"]) + "?q=ガバメントクラウド").content.decode()
    assert page.count("<dt>") >= 1 and "ガバメントクラウド" in page


def test_unpublished_plans_are_for_staff_only(demo_with_plans, client: Client) -> None:
    Plan.objects.filter(key="oe-dx").update(published=False)
    url = reverse("plans:overview", args=["oe", "oe-dx"])
    assert client.get(url).status_code == 404
    staff = MembershipFactory(municipality=Municipality.objects.get(slug="oe"), role=Role.SECRETARIAT)
    login_verified(client, staff.user)
    assert client.get(url).status_code == 200
    assert Client().get(url).status_code == 404  # the staff member's cached page is theirs alone
    other = MembershipFactory(municipality=Municipality.objects.get(slug="itako"), role=Role.ADMIN)
    login_verified(client, other.user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("page", ["overview", "roadmap", "kpis", "alignment"])
def test_query_count_does_not_grow_with_the_plan(demo, client: Client, page: str, synthetic_plan) -> None:
    synthetic_plan("oe", "tiny", nodes=10, kpis=10, years=10, seed=2)
    synthetic_plan("oe", "huge", nodes=400, kpis=600, years=10, seed=2)
    counts = []
    for key in ("tiny", "huge"):
        client.get(reverse(f"plans:{page}", args=["oe", key]))  # warm caches
        caches["pages"].clear()  # but not the rendered page itself
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(f"plans:{page}", args=["oe", key])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_compare_query_count_does_not_grow_with_the_plan(demo, client: Client, synthetic_plan) -> None:
    synthetic_plan("oe", "tiny", nodes=10, kpis=10, years=10, seed=2)
    synthetic_plan("oe", "huge", nodes=400, kpis=600, years=10, seed=2)
    counts = []
    for key in ("tiny", "huge"):
        url = reverse("plans:compare") + f"?plans=oe/{key}"
        client.get(url)
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_plan_pages_are_served_from_the_page_cache(demo_with_plans, client: Client) -> None:
    url = reverse("plans:overview", args=["oe", "oe-dx"])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 2  # the session at most; the page itself comes from the cache


def test_kpi_chart_and_its_table(demo_with_plans, client: Client) -> None:
    """美郷町 1-1 オンライン手続数: targets 60/100/120 (R6–R8), actual 63 in R6."""
    misato = Plan.objects.get(key="misato-dx-action-plan").current_edition
    assert misato is not None
    node = misato.nodes.get(code="1-1")
    page = client.get(
        reverse("plans:node", args=["misato", "misato-dx-action-plan", node.key])
    ).content.decode()
    assert '<svg viewBox="0 0 320 160"' in page and "<circle" in page and "<rect" in page
    assert "オンライン手続数の数値" in page
    assert "令和6年度</th><td>60件</td>" in page
    assert "<td>63件（計画書）</td>" in page
