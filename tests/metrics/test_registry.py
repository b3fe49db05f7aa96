from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.models import Closure, Role
from yakusho.metrics.registry import (
    AlreadyRegistered,
    MetricProvider,
    MetricRegistry,
    NotRegistered,
    Period,
    isolated_registry,
    registry,
)


def constant(value: int):
    return lambda municipality, period: value


def test_duplicate_keys_are_refused() -> None:
    reg = MetricRegistry()
    reg.register(MetricProvider("test.one", "一", "One", "件", constant(1)))
    with pytest.raises(AlreadyRegistered):
        reg.register(MetricProvider("test.one", "別", "Other", "件", constant(2)))
    with pytest.raises(ValueError, match=r"<app>\.<name>"):
        reg.register(MetricProvider("nodot", "x", "x", "件", constant(0)))
    with pytest.raises(NotRegistered):
        reg.get("test.missing")


def test_labels_follow_the_language() -> None:
    provider = MetricProvider("test.one", "オンライン申請件数", "Online submissions", "件", constant(1))
    with translation.override("en"):
        assert provider.label == "Online submissions"
    with translation.override("ja"):
        assert provider.label == "オンライン申請件数"


def test_core_providers_are_discovered_at_start_up() -> None:
    assert "core.active_staff" in registry
    assert "core.business_days" in registry


def test_isolated_registry_restores_the_global_one() -> None:
    with isolated_registry() as reg:
        assert reg.all() == []
        reg.provider("test.x", label_ja="x", label_en="x", unit="件")(constant(3))
        assert "test.x" in registry
    assert "test.x" not in registry
    assert "core.active_staff" in registry


def test_period_labels() -> None:
    assert str(Period.fiscal_year(2026)) == "令和8年度（2026年度）"
    assert str(Period(date(2026, 4, 1), date(2026, 6, 30))) == "令和8年度第1四半期"
    assert str(Period(date(2026, 4, 2), date(2026, 6, 30))) == "令和8年4月2日〜令和8年6月30日"


@pytest.mark.django_db
def test_active_staff_counts_only_this_municipality_and_active_accounts() -> None:
    town = MunicipalityFactory()
    MembershipFactory.create_batch(3, municipality=town, role=Role.COUNTER)
    MembershipFactory(municipality=town, role=Role.COUNTER, is_active=False)
    MembershipFactory(role=Role.COUNTER)  # another municipality
    period = Period.fiscal_year(date.today().year)
    assert registry.measure("core.active_staff", town, period).value == 3
    past = Period.fiscal_year(2000)
    assert registry.measure("core.active_staff", town, past).value == 0


@pytest.mark.django_db
def test_business_days_of_fiscal_year_2026() -> None:
    town = MunicipalityFactory()
    figure = registry.measure("core.business_days", town, Period.fiscal_year(2026))
    Closure.objects.create(municipality=town, date=date(2026, 4, 1), reason="臨時")
    after = registry.measure("core.business_days", town, Period.fiscal_year(2026))
    assert figure.unit == "日"
    assert 240 <= figure.value <= 245  # type: ignore[operator]
    assert after.value == figure.value - 1  # type: ignore[operator]


@pytest.mark.django_db
def test_metrics_page_and_consortium_comparison(client: Client) -> None:
    membership = MembershipFactory(role=Role.SECRETARIAT)
    login_verified(client, membership.user)
    url = reverse("metrics:staff", args=[membership.municipality.slug])
    page = client.get(url).content.decode()
    assert "core.active_staff" in page and "有効な職員アカウント数" in page
    from django.utils import timezone

    from yakusho.core.jcal import fiscal_year_of, format_fiscal_year

    today = timezone.localdate()
    this_year = format_fiscal_year(fiscal_year_of(today))
    assert f"各機能が計測した数値です（{this_year}）" in page  # the current fiscal year by default
    days = client.get(url + "?period=today").content.decode()
    assert "令和" in days and "〜" in days and 'value="today" selected' in days
    last = client.get(url + f"?period=fy{fiscal_year_of(today) - 1}").content.decode()
    assert f"各機能が計測した数値です（{format_fiscal_year(fiscal_year_of(today) - 1)}）" in last
    unknown = client.get(url + "?period=fy1900").content.decode()
    assert f"各機能が計測した数値です（{this_year}）" in unknown  # anything else: the default
