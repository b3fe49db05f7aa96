"""Stored figures: measured by refresh / refresh-figures, read by pages in one query, never measured
on a page view, marked stale when the data a provider reads changes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.jcal import fiscal_year_of
from yakusho.core.models import Closure, CommandRun, Role
from yakusho.metrics import store
from yakusho.metrics.models import StoredFigure
from yakusho.metrics.registry import Period, isolated_registry, registry

pytestmark = pytest.mark.django_db


def test_half_year_and_quarter_periods_and_their_words() -> None:
    assert Period.half_year(2026, 1) == Period(date(2026, 4, 1), date(2026, 9, 30))
    assert Period.half_year(2026, 2) == Period(date(2026, 10, 1), date(2027, 3, 31))
    assert Period.quarter(2026, 4) == Period(date(2027, 1, 1), date(2027, 3, 31))
    assert Period.month(2026, 12) == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert str(Period.half_year(2026, 1)) == "令和8年度上期"
    assert str(Period.half_year(2026, 2)) == "令和8年度下期"
    assert str(Period.quarter(2026, 1)) == "令和8年度第1四半期"
    assert str(Period.quarter(2026, 4)) == "令和8年度第4四半期"
    assert str(Period.month(2027, 2)) == "令和9年2月"
    assert Period.containing("quarter", date(2027, 2, 10)) == Period.quarter(2026, 4)
    assert Period.containing("half_year", date(2026, 9, 30)) == Period.half_year(2026, 1)
    assert [
        Period.fiscal_year(2026).kind,
        Period.quarter(2026, 2).kind,
        Period(date(2026, 4, 2), date(2026, 4, 3)).kind,
    ] == [
        "fiscal_year",
        "quarter",
        "other",
    ]
    with pytest.raises(ValueError):
        Period.quarter(2026, 5)


def test_every_depends_on_names_a_model() -> None:
    for provider in registry.all():
        for label in provider.depends_on:
            assert apps.get_model(label), (provider.key, label)
    assert "procedures.counter_certificates" in registry.watched_models()["procedures.submission"]


def test_figures_are_stored_with_their_breakdown_and_read_in_one_query() -> None:
    town = MunicipalityFactory()
    period = Period.fiscal_year(2025)
    with isolated_registry() as reg:
        reg.provider(
            "test.count",
            label_ja="件数",
            label_en="Count",
            unit="件",
            breakdown=lambda m, p: {"a": 2, "b": Decimal("1.5")},
        )(lambda m, p: 7)
        reg.provider("test.none", label_ja="なし", label_en="None", unit="%")(lambda m, p: None)
        missing = reg.figure("test.count", town, period)
        assert not missing.measured and missing.value is None and missing.freshness == "まだ集計していません"
        # the reader recorded it as wanted: the next refresh-figures measures it
        assert StoredFigure.objects.get(municipality=town, key="test.count").computed_at is None
        reg.refresh(town, period)
        with CaptureQueriesContext(connection) as queries:
            figures = reg.figures(town, ["test.count", "test.none", "not.registered"], period)
        assert len(queries) == 1
        assert set(figures) == {"test.count", "test.none"}
        count = figures["test.count"]
        assert (count.value, count.unit, count.measured, count.stale) == (7, "件", True, False)
        assert figures["test.none"].measured and figures["test.none"].value is None  # no data, not "not yet"
        assert "時点の集計" in count.as_of and "年度途中" not in count.freshness  # a past year
        assert {k: f.value for k, f in reg.breakdown("test.count", town, period).items()} == {
            "a": 2,
            "b": Decimal("1.5"),
        }
        row = StoredFigure.objects.get(municipality=town, key="test.count", breakdown="")
        assert row.period_kind == "fiscal_year" and row.method.startswith("test.count v1")


def test_as_of_in_words_and_a_running_period() -> None:
    town = MunicipalityFactory()
    period = Period.fiscal_year(fiscal_year_of(timezone.localdate()))
    figure = registry.refresh(town, period, ["core.business_days"])["core.business_days"]
    stored = registry.figure("core.business_days", town, period)
    local = timezone.localtime(stored.computed_at)
    assert (
        stored.as_of == f"{local.year}年{local.month}月{local.day}日 {local.hour}時{local.minute}分時点の集計"
    )
    assert stored.freshness.endswith("・年度途中の値") and stored.value == figure.value


def test_a_change_to_the_data_marks_the_figures_stale_and_refresh_figures_measures_them() -> None:
    town, other = MunicipalityFactory(), MunicipalityFactory()
    past = Period.fiscal_year(2025)
    for m in (town, other):
        registry.refresh(m, past, ["core.business_days", "core.active_staff"])
    before = registry.figure("core.business_days", town, past).value
    Closure.objects.create(municipality=town, date=date(2025, 4, 1), reason="臨時")  # a Tuesday
    stale = {
        (f.municipality_id, f.key): f.stale for f in StoredFigure.objects.filter(period_start=past.start)
    }
    assert stale[(town.pk, "core.business_days")] is True
    assert stale[(town.pk, "core.active_staff")] is False  # does not read closures
    assert stale[(other.pk, "core.business_days")] is False  # another municipality's data
    assert registry.figure("core.business_days", town, past).value == before  # still the stored one

    call_command("refresh_figures", municipality=town.slug, stdout=open("/dev/null", "w"))  # noqa: SIM115
    fresh = registry.figure("core.business_days", town, past)
    assert fresh.value == before - 1 and not fresh.stale  # type: ignore[operator]
    run = CommandRun.objects.get(name="refresh-figures")
    assert run.runs == 1 and run.last_succeeded_at is not None
    # the running periods and the last fiscal years are kept measured
    today = timezone.localdate()
    for period in store.default_periods(today):
        assert registry.figure("core.active_staff", town, period).measured, period


def test_refresh_figures_remeasures_only_what_is_due() -> None:
    town = MunicipalityFactory()
    calls: list[Period] = []
    today = timezone.localdate()
    with isolated_registry() as reg:

        def count(m: object, period: Period) -> int:
            calls.append(period)
            return len(calls)

        reg.provider(
            "test.count", label_ja="件数", label_en="Count", unit="件", depends_on=("core.Closure",)
        )(count)
        store.refresh_due(reg, municipalities=[town])
        assert len(calls) == len(store.default_periods(today))
        calls.clear()
        store.refresh_due(reg, municipalities=[town])
        assert calls == []  # nothing changed, nothing older than an hour
        # figures older than the age limit (0 here: two hours later would cross midnight in Japan
        # after 22:00, and tomorrow has periods of its own)
        store.refresh_due(reg, municipalities=[town], max_age=timedelta(0))
        assert calls and all(p.end >= today for p in calls)  # only the running periods, past years kept
        calls.clear()
        Closure.objects.create(municipality=town, date=date(2020, 5, 7), reason="臨時")
        store.refresh_due(reg, municipalities=[town])
        assert len(calls) == len(store.default_periods(today))  # stale: every stored period again


def test_the_kpi_page_reads_stored_figures_whatever_the_data(demo_with_plans, client: Client) -> None:
    """The KPI page's queries do not grow when the records behind its figure grow tenfold, and the
    provider is never called during the page view (only by the refresh)."""
    from yakusho.core.models import Municipality
    from yakusho.plans.models import Kpi

    oe = Municipality.objects.get(slug="oe")
    kpi = Kpi.objects.get(edition__plan__key="oe-dx", name="LINE友だち数")
    Kpi.objects.filter(pk=kpi.pk).update(metric="test.closures")
    url = reverse("plans:kpis", args=["oe", "oe-dx"]) + "?q=LINE"
    period = Period.fiscal_year(fiscal_year_of(timezone.localdate()))
    calls = []
    counts = []
    with isolated_registry(keep=True) as reg:

        @reg.provider(
            "test.closures",
            label_ja="臨時閉庁日",
            label_en="Closures",
            unit="日",
            depends_on=("core.Closure",),
        )
        def closures(m: Municipality, p: Period) -> int:
            calls.append(p)
            return Closure.objects.for_municipality(m).count()

        first = date(2001, 1, 1)
        for n in (20, 200):
            have = Closure.objects.for_municipality(oe).count()
            Closure.objects.bulk_create(
                [
                    Closure(municipality=oe, date=first + timedelta(days=i), reason="臨時")
                    for i in range(have, have + n - have)
                ]
            )
            reg.refresh(oe, period, ["test.closures"])
            called = len(calls)
            caches["pages"].clear()  # the refresh's new data version applies on commit, not reached here
            client.get(url)  # warm: the first request of a client makes queries of its own
            caches["pages"].clear()
            with CaptureQueriesContext(connection) as queries:
                page = client.get(url).content.decode()
            assert len(calls) == called  # the page did not measure
            assert f"計測値：{Closure.objects.for_municipality(oe).count()}日（計測値・" in page
            assert "時点の集計・年度途中の値" in page
            counts.append(len(queries))
    assert Closure.objects.for_municipality(oe).count() >= 200
    assert counts[0] == counts[1]


def test_staff_metrics_page_reads_stored_figures_in_one_query(client: Client) -> None:
    membership = MembershipFactory(role=Role.SECRETARIAT)
    town = membership.municipality
    login_verified(client, membership.user)
    url = reverse("metrics:staff", args=[town.slug])
    first = client.get(url).content.decode()
    assert "<td>まだ集計していません</td>" in first  # not measured on the page view
    registry.refresh(town, Period.fiscal_year(fiscal_year_of(timezone.localdate())))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    assert "core.active_staff" in page and "時点の集計・年度途中の値" in page
    assert "<td>まだ集計していません</td>" not in page
    assert len([q for q in queries if "metrics_storedfigure" in q["sql"]]) == 1


def test_staff_can_measure_the_figures_now(client: Client) -> None:
    membership = MembershipFactory(role=Role.SECRETARIAT)
    town = membership.municipality
    login_verified(client, membership.user)
    url = reverse("metrics:staff", args=[town.slug])
    assert "<td>まだ集計していません</td>" in client.get(url, {"period": "month"}).content.decode()
    response = client.post(url, {"period": "month"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("?period=month")
    page = response.content.decode()
    assert "の指標を集計しました。" in page
    assert "<td>まだ集計していません</td>" not in page
    # an unknown period measures the current fiscal year (what KPIs ask for), never a 5xx
    response = client.post(url, {"period": "<script>"})
    assert response.status_code == 302 and response["Location"].endswith(
        f"?period=fy{fiscal_year_of(timezone.localdate())}"
    )
