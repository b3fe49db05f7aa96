"""Joint goals of a consortium: the demo's goals, members' answers, standing, refusals, pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from tests.helpers import login_verified
from yakusho.core.jcal import format_fiscal_year
from yakusho.core.models import Consortium, ConsortiumMembership, Membership, Municipality, Role, User
from yakusho.plans import figures
from yakusho.plans.joint_goals.answers import candidates, clear_link, link_measure
from yakusho.plans.joint_goals.goals import create_goal, delete_goal, update_goal
from yakusho.plans.joint_goals.standing import MemberStanding, State, goal_unit, standing
from yakusho.plans.joint_goals.targets import JointGoalError
from yakusho.plans.models import (
    JointGoal,
    JointGoalLink,
    Kpi,
    KpiActual,
    Node,
    Observation,
    Plan,
    PlanEdition,
    StandardIndicator,
)

pytestmark = pytest.mark.django_db

CASHLESS_OBSERVATION = "キャッシュレス利用率（市民課窓口での証明書の手数料納付）"


def _goal(key: str) -> JointGoal:
    return JointGoal.objects.select_related("consortium", "indicator").get(consortium__slug="akita", key=key)


def _secretariat(slug: str) -> Membership:
    return Membership.objects.select_related("municipality").get(
        user__email="dx@example.jp", municipality__slug=slug
    )


def _answers() -> list[tuple[object, ...]]:
    return list(JointGoalLink.objects.order_by("pk").values_list("pk", "kpi_id", "observation_id", "note"))


def _by_town(rows: list[MemberStanding]) -> dict[str, MemberStanding]:
    return {r.municipality.slug: r for r in rows}


# --- demo -------------------------------------------------------------------------------------


def test_demo_loads_three_goals_with_the_members_real_measures(demo_with_plans) -> None:
    goals = list(JointGoal.objects.filter(consortium__slug="akita", kind="number").order_by("order"))
    assert [g.key for g in goals] == ["online-procedures", "cashless-fees", "facility-online-booking"]
    assert all(g.description.startswith("【デモ】") for g in JointGoal.objects.all())
    links: dict[tuple[str, str], Any] = {
        (link.goal.key, link.municipality.slug): link
        for link in JointGoalLink.objects.filter(goal__kind="number").select_related(
            "goal", "municipality", "kpi", "observation"
        )
    }
    assert len(links) == 6
    assert links["online-procedures", "misato"].kpi.key == "kpi-online-procedures"
    assert links["cashless-fees", "misato"].kpi.key == "kpi-cashless-count"
    assert links["cashless-fees", "katagami"].observation.name == CASHLESS_OBSERVATION
    for pair in (("online-procedures", "katagami"), ("facility-online-booking", "misato")):
        link = links[pair]
        assert link.kpi is None and link.observation is None and link.note  # declared, with a reason
    # the KPIs are of the plans' current editions
    assert (
        links["online-procedures", "misato"].kpi.edition_id
        == links["online-procedures", "misato"].plan.current_edition_id
    )


def test_loading_the_demo_twice_adds_nothing(demo_with_plans) -> None:
    before = (JointGoal.objects.count(), JointGoalLink.objects.count())
    call_command("demo", quiet_logins=True, verbosity=0)
    assert (JointGoal.objects.count(), JointGoalLink.objects.count()) == before == (5, 8)  # 2 text answers


# --- standing ---------------------------------------------------------------------------------


def test_standing_measured_with_progress_where_units_agree(demo_with_plans) -> None:
    rows = _by_town(standing(_goal("online-procedures")))
    misato = rows["misato"]
    assert misato.state == State.MEASURED and misato.label == "計測している"
    # the latest actual of the KPI's one series (the plan's R6 figure, or a later review's)
    latest = KpiActual.objects.filter(kpi=misato.kpi, value__isnull=False).order_by("-fiscal_year").first()
    assert latest is not None and latest.value is not None and latest.fiscal_year >= 2024
    assert misato.value == latest.value and misato.year == latest.fiscal_year
    assert misato.when == format_fiscal_year(latest.fiscal_year)
    assert misato.units_agree and misato.progress == int(latest.value) and misato.reached is False  # of 100
    assert misato.indicator_matches
    assert misato.own_target is not None and misato.own_target.value == Decimal(120)  # its final stated
    assert misato.achievement is not None and misato.achievement.year == latest.fiscal_year
    katagami = rows["katagami"]
    assert katagami.state == State.NOT_MEASURED and katagami.label == "計測していない"
    assert katagami.value is None and katagami.progress is None
    assert katagami.link is not None and "31手続" in katagami.link.note


def test_standing_says_so_when_units_differ(demo_with_plans) -> None:
    rows = _by_town(standing(_goal("cashless-fees")))
    katagami = rows["katagami"]  # an observation, 14.4 % against 30 %
    assert katagami.state == State.MEASURED and katagami.observation is not None
    assert katagami.progress == 48 and katagami.when == "R7年7月時点"
    misato = rows["misato"]  # a count of payments (件) against a rate (%)
    assert misato.state == State.MEASURED and misato.value is not None and misato.unit == "件"
    assert misato.units_agree is False and misato.progress is None and misato.reached is None
    assert any("単位が異なる" in r and "件" in r and "%" in r for r in misato.remarks)
    assert any("標準指標とは別" in r for r in misato.remarks)


def test_members_figures_carry_their_source_and_as_of(demo_with_plans, client: Client) -> None:
    """A member's figure is written as on the plan pages: a KPI's actual with its year, source and
    "as of" (デモ marked), an observation with the plan as its source and its date."""
    goal = _goal("online-procedures")
    misato = _by_town(standing(goal))["misato"]
    assert misato.actual is not None and misato.actual.fiscal_year == misato.year
    assert misato.figure_text == figures.actual_with_year(misato.actual, misato.unit)
    assert misato.figure_text.startswith(format_fiscal_year(misato.year or 0, short=True) + "：")
    KpiActual.objects.filter(pk=misato.actual.pk).update(source=KpiActual.Source.DEMO, date=date(2026, 5, 29))
    misato = _by_town(standing(goal))["misato"]
    assert misato.demo and misato.figure_text.endswith("（デモ・令和8年5月29日時点）")
    katagami = _by_town(standing(_goal("cashless-fees")))["katagami"]
    assert katagami.figure_text == "14.4パーセント（計画書・令和7年7月時点）" and not katagami.demo

    listing = _consortium_client(client).get(reverse("joint_goals:list", args=["akita"])).content.decode()
    assert f'<span class="joint-figure figure-demo">{misato.figure_text}</span>' in listing
    assert '<span class="joint-figure">14.4パーセント（計画書・令和7年7月時点）</span>' in listing
    page = client.get(reverse("staff:consortium", args=["akita"])).content.decode()
    assert misato.figure_text in page and "14.4パーセント（計画書・令和7年7月時点）" in page


def test_standing_unanswered_and_a_deleted_measure(demo_with_plans) -> None:
    goal = _goal("facility-online-booking")
    JointGoalLink.objects.filter(goal=goal, municipality__slug="misato").delete()
    rows = _by_town(standing(goal))
    assert rows["misato"].state == State.UNANSWERED and rows["misato"].label == "未回答"
    assert rows["katagami"].state == State.NOT_MEASURED
    # A KPI deleted under a link leaves neither measure and no note: not a declaration.
    online = _goal("online-procedures")
    JointGoalLink.objects.filter(goal=online, municipality__slug="misato").update(kpi=None, note="")
    row = _by_town(standing(online))["misato"]
    assert row.state == State.UNANSWERED and any("削除" in r for r in row.remarks)


def _new_misato_edition() -> tuple[Kpi, Kpi]:
    """A newer edition of 美郷町's plan with the online-procedures KPI only: (old KPI, new KPI)."""
    plan = Plan.objects.select_related("current_edition").get(municipality__slug="misato")
    old_edition = plan.current_edition
    assert old_edition is not None
    town = plan.municipality
    edition = PlanEdition.objects.create(
        municipality=town,
        plan=plan,
        number="9.0",
        title=old_edition.title,
        kind=old_edition.kind,
        first_year=2024,
        last_year=2030,
        level_labels=["施策"],
        digest="x",
    )
    node = Node.objects.create(municipality=town, edition=edition, key="n", depth=1, title="施策", order=0)
    new = Kpi.objects.create(
        municipality=town,
        edition=edition,
        node=node,
        key="kpi-online-procedures",
        name="オンライン手続数",
        unit="件",
        direction=Kpi.Direction.INCREASE,
        accumulation=Kpi.Accumulation.POINT_IN_TIME,
    )
    KpiActual.objects.create(municipality=town, kpi=new, fiscal_year=2030, value=Decimal(150))
    plan.current_edition = edition
    plan.save()
    return Kpi.objects.get(edition=old_edition, key=new.key), new


def test_a_link_to_an_older_edition_reads_the_current_kpi_of_the_same_key(demo_with_plans) -> None:
    old, new = _new_misato_edition()
    goal = _goal("online-procedures")
    assert JointGoalLink.objects.get(goal=goal, municipality__slug="misato").kpi == old
    row = _by_town(standing(goal))["misato"]
    assert row.kpi == new and row.followed_key
    assert row.value == Decimal(150) and row.progress == 150 and row.reached is True


# --- answering --------------------------------------------------------------------------------


def test_secretariat_links_its_own_kpi_and_declares_not_measured(demo_with_plans) -> None:
    goal = _goal("facility-online-booking")
    membership = _secretariat("misato")
    kpi = Kpi.objects.get(municipality__slug="misato", key="kpi-online-procedures")
    link = link_measure(membership, goal, kpi=kpi, note="")
    assert link.kpi == kpi and JointGoalLink.objects.filter(goal=goal).count() == 2  # replaced, not added
    link = link_measure(membership, goal, note="予約件数は未集計")
    assert link.kpi is None and link.note == "予約件数は未集計"
    assert clear_link(membership, goal)
    assert not JointGoalLink.objects.filter(goal=goal, municipality=membership.municipality).exists()


@pytest.mark.parametrize(
    "case",
    ["other-members-kpi", "other-members-observation", "older-edition-kpi", "both", "no-note"],
)
def test_bad_answers_are_refused_in_japanese_and_save_nothing(demo_with_plans, case: str) -> None:
    goal = _goal("online-procedures")
    misato = _secretariat("misato")
    before = _answers()
    katagami_obs = Observation.objects.get(municipality__slug="katagami", name=CASHLESS_OBSERVATION)
    own_kpi = Kpi.objects.get(municipality__slug="misato", key="kpi-online-procedures")
    kwargs: Any = {
        "other-members-kpi": {"kpi": Kpi.objects.filter(municipality__slug="oe").first()},
        "other-members-observation": {"observation": katagami_obs},
        "both": {
            "kpi": own_kpi,
            "observation": Observation.objects.filter(municipality__slug="misato").first() or katagami_obs,
        },
        "no-note": {"note": "  "},
    }.get(case, {})
    if case == "older-edition-kpi":
        kwargs = {"kpi": _new_misato_edition()[0]}
    with pytest.raises(JointGoalError) as error:
        link_measure(misato, goal, **kwargs)
    message = str(error.value)
    assert any(word in message for word in ("KPI", "現状の数値", "備考")), message
    assert _answers() == before


def test_only_secretariat_and_admin_may_answer(demo_with_plans) -> None:
    goal = _goal("facility-online-booking")
    dept = Membership.objects.get(user__email="dept@example.jp", municipality__slug="misato")
    with pytest.raises(JointGoalError, match="DX推進室と団体管理者"):
        link_measure(dept, goal, note="x")
    outsider = _secretariat("oe")  # 大江町 is not a member of 秋田県
    with pytest.raises(JointGoalError, match="構成団体ではありません"):
        link_measure(outsider, goal, note="x")


def test_candidates_put_the_goals_indicator_first(demo_with_plans) -> None:
    misato = Municipality.objects.get(slug="misato")
    kpis, _observations = candidates(misato).for_goal(_goal("online-procedures"))
    assert kpis[0].key == "kpi-online-procedures" and len(kpis) > 1
    katagami = Municipality.objects.get(slug="katagami")
    kpis, observations = candidates(katagami).for_goal(_goal("cashless-fees"))
    assert kpis == [] and observations[0].name == CASHLESS_OBSERVATION


# --- goals ------------------------------------------------------------------------------------


def test_goal_services_create_update_delete(demo) -> None:
    akita = Consortium.objects.get(slug="akita")
    indicator = StandardIndicator.objects.create(key="x-rate", name="試験率", unit="%")
    goal = create_goal(akita, key="x", title="試験", indicator=indicator, target_value=Decimal(10))
    assert goal.order == 1 and goal_unit(goal) == "%"
    with pytest.raises(JointGoalError, match="すでにあります"):
        create_goal(akita, key="x", title="同じキー")
    update_goal(goal, title="改名", order=None)
    goal.refresh_from_db()
    assert goal.title == "改名" and goal.order == 1
    assert delete_goal(goal) == 0 and not JointGoal.objects.exists()


# --- pages ------------------------------------------------------------------------------------


def _consortium_client(client: Client) -> Client:
    login_verified(client, User.objects.get(email="consortium@example.jp"))
    return client


def test_consortium_page_shows_the_goals_and_honest_states(demo_with_plans, client: Client) -> None:
    page = _consortium_client(client).get(reverse("staff:consortium", args=["akita"])).content.decode()
    assert "共通目標" in page and "手数料等のキャッシュレス決済" in page
    assert "計測していない" in page and "単位が異なる" in page and "目標の48%" in page
    listing = client.get(reverse("joint_goals:list", args=["akita"])).content.decode()
    assert "【デモ】" in listing and "R7年7月時点" in listing and "目標の48%" in listing
    assert "令和10年度（2028年度）まで" in listing
    assert "31手続" in listing  # 潟上市's reason for not measuring


def test_consortium_staff_create_edit_and_delete_a_goal(demo_with_plans, client: Client) -> None:
    _consortium_client(client)
    response = client.post(
        reverse("joint_goals:create", args=["akita"]),
        {
            "key": "open-data",
            "title": "オープンデータの公開",
            "target_value": "１０",
            "target_fiscal_year": "R10",
            "indicator": StandardIndicator.objects.get(key="open-datasets").pk,
        },
    )
    assert response.status_code == 302
    goal = _goal("open-data")
    assert goal.target_value == Decimal(10) and goal.target_fiscal_year == 2028 and goal.order == 6
    client.post(
        reverse("joint_goals:update", args=["akita", "open-data"]),
        {"key": "open-data", "title": "オープンデータ", "target_text": "全団体で公開", "order": "4"},
    )
    goal.refresh_from_db()
    assert goal.title == "オープンデータ" and goal.target_value is None and goal.indicator is None
    client.post(reverse("joint_goals:delete", args=["akita", "open-data"]))
    assert not JointGoal.objects.filter(key="open-data").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"target_value": "たくさん"}, "目標値は数値で入力してください"),
        ({"target_value": "", "target_text": ""}, "目標値（数値）か目標（文章）のどちらか"),
        ({"target_fiscal_year": "来年"}, "来年"),
        ({"key": "online-procedures"}, "すでにあります"),
        ({"key": "日本語"}, "キーは半角英数字"),
    ],
)
def test_bad_goal_input_gets_a_japanese_message_and_saves_nothing(
    demo_with_plans, client: Client, data: dict[str, str], message: str
) -> None:
    _consortium_client(client)
    before = list(JointGoal.objects.order_by("pk").values())
    post = {"key": "new-goal", "title": "新しい目標", "target_value": "5", **data}
    response = client.post(reverse("joint_goals:create", args=["akita"]), post)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "入力内容を確認してください" in page
    assert list(JointGoal.objects.order_by("pk").values()) == before


def test_staff_of_another_consortium_are_refused(demo_with_plans, client: Client) -> None:
    other = Consortium.objects.create(slug="yamagata", name="山形県", kind="prefecture")
    user = UserFactory()
    ConsortiumMembership.objects.create(user=user, consortium=other)
    login_verified(client, user)
    assert client.get(reverse("joint_goals:list", args=["akita"])).status_code == 403
    response = client.post(
        reverse("joint_goals:create", args=["akita"]), {"key": "x", "title": "x", "target_text": "x"}
    )
    assert response.status_code == 403
    assert client.post(reverse("joint_goals:delete", args=["akita", "cashless-fees"])).status_code == 403
    # their own consortium's URL does not reach 秋田県's goal either
    assert client.get(reverse("joint_goals:update", args=["yamagata", "cashless-fees"])).status_code == 404
    assert JointGoal.objects.filter(consortium__slug="akita").count() == 5


def test_member_page_answers_and_refusals(demo_with_plans, client: Client) -> None:
    goal = _goal("facility-online-booking")
    url = reverse("joint_goals:member", args=["misato"])
    prefix = f"goal-{goal.pk}"
    login_verified(client, User.objects.get(email="dept@example.jp"))
    page = client.get(url).content.decode()
    assert "公共施設のオンライン予約" in page and "回答できるのは、DX推進室と団体管理者です" in page
    assert client.post(url, {"goal": goal.pk, f"{prefix}-note": "x"}).status_code == 403

    login_verified(client, User.objects.get(email="dx@example.jp"))
    page = client.get(url).content.decode()
    assert "★ オンライン手続数" in page  # the goal of online procedures suggests its KPI first
    own = Kpi.objects.get(municipality__slug="misato", key="kpi-online-procedures")
    other_plan_kpi = Kpi.objects.filter(municipality__slug="oe").first()
    assert other_plan_kpi is not None
    obs = Observation.objects.get(municipality__slug="katagami", name=CASHLESS_OBSERVATION)
    plan = Plan.objects.get(municipality__slug="misato")
    assert plan.current_edition is not None
    own_obs = Observation.objects.create(  # 美郷町's plan has none: one, so the field is offered
        municipality=plan.municipality, edition=plan.current_edition, name="予約件数", value=1, unit="件"
    )
    before = _answers()
    for data, message in (
        ({f"{prefix}-kpi": other_plan_kpi.pk}, "候補にありません"),  # another municipality's plan
        ({f"{prefix}-observation": obs.pk}, "候補にありません"),  # 潟上市's observation
        ({f"{prefix}-kpi": own.pk, f"{prefix}-observation": own_obs.pk}, "どちらか一つだけ"),
        ({f"{prefix}-note": ""}, "理由や今後の予定"),
    ):
        response = client.post(url, {"goal": goal.pk, **data})
        assert response.status_code == 200
        page = response.content.decode()
        assert message in page and "回答を保存できませんでした" in page
    assert _answers() == before
    both = client.post(url, {"goal": goal.pk, f"{prefix}-kpi": own.pk, f"{prefix}-observation": ""})
    assert both.status_code == 302
    assert JointGoalLink.objects.get(goal=goal, municipality__slug="misato").kpi == own
    client.post(url, {"goal": goal.pk, "clear": "1"})
    assert not JointGoalLink.objects.filter(goal=goal, municipality__slug="misato").exists()
    assert "未回答" in client.get(url).content.decode()
    # 潟上市's plan has no KPI: the field says so instead of offering an empty list
    katagami = client.get(reverse("joint_goals:member", args=["katagami"])).content.decode()
    assert "計画の現行版にありません" in katagami and "★ キャッシュレス利用率" in katagami
    # a goal of a consortium 美郷町 is not in
    other = Consortium.objects.create(slug="yamagata", name="山形県", kind="prefecture")
    foreign = JointGoal.objects.create(consortium=other, key="f", title="他県の目標", target_text="x")
    assert client.post(url, {"goal": foreign.pk, f"goal-{foreign.pk}-note": "x"}).status_code == 404


def test_staff_home_panel_counts_unanswered(demo_with_plans, client: Client) -> None:
    JointGoalLink.objects.filter(municipality__slug="misato", goal__key="cashless-fees").delete()
    login_verified(client, User.objects.get(email="dx@example.jp"))
    page = client.get(reverse("staff:home")).content.decode()
    assert "共通目標 5件（未回答 1件）" in page  # 美郷町
    assert "共通目標 5件（未回答 0件）" in page  # 潟上市


@pytest.mark.parametrize("page", ["list", "member", "consortium"])
def test_query_count_does_not_grow_with_goals(demo_with_plans, client: Client, page: str) -> None:
    akita = Consortium.objects.get(slug="akita")
    misato = Municipality.objects.get(slug="misato")
    if page == "member":
        login_verified(client, User.objects.get(email="dx@example.jp"))
        url = reverse("joint_goals:member", args=["misato"])
    elif page == "list":
        _consortium_client(client)
        url = reverse("joint_goals:list", args=["akita"])
    else:
        _consortium_client(client)
        url = reverse("staff:consortium", args=["akita"])
    counts = []
    for _round in range(2):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
        if _round:
            break
        plan = Plan.objects.get(municipality=misato)
        for kpi in Kpi.objects.filter(edition=plan.current_edition)[:6]:
            goal = create_goal(akita, key=f"g-{kpi.pk}", title=kpi.name, target_value=Decimal(1))
            JointGoalLink.objects.create(municipality=misato, goal=goal, plan=plan, kpi=kpi)
    assert counts[0] == counts[1], counts


def test_membership_factory_roles_cannot_reach_other_members_page(demo_with_plans, client: Client) -> None:
    """An administrator of 大江町 reads nothing of 美郷町's answers."""
    login_verified(
        client, MembershipFactory(municipality=Municipality.objects.get(slug="oe"), role=Role.ADMIN).user
    )
    assert client.get(reverse("joint_goals:member", args=["misato"])).status_code == 403
