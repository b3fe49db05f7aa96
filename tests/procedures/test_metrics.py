"""Metric providers of the procedures app, through the registry."""

from __future__ import annotations

import pytest

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from yakusho.metrics.registry import Period, registry


@pytest.fixture
def town(db):
    town = MunicipalityFactory()
    dept = DepartmentFactory(municipality=town)
    make_procedure(town, dept, "a", "A", channels=(("yakusho", "available"), ("counter", "available")))
    make_procedure(town, dept, "b", "B", channels=(("external", "available"), ("yakusho", "planned")))
    make_procedure(town, dept, "c", "C", channels=(("counter", "available"),))
    c = make_procedure(town, dept, "d", "D", channels=())
    c.channels.create(
        municipality=town, kind="external", service_name="x", status="planned", target_fiscal_year=2027
    )
    other = MunicipalityFactory()
    make_procedure(
        other, DepartmentFactory(municipality=other), "a", "A", channels=(("yakusho", "available"),)
    )
    return town


def measure(key: str, town, year: int = 2026):
    return registry.measure(key, town, Period.fiscal_year(year)).value


def test_online_figures(town) -> None:
    assert measure("procedures.online_yakusho", town) == 1
    assert measure("procedures.online_all", town) == 2


def test_planned_for_a_year(town) -> None:
    assert measure("procedures.online_planned", town, 2027) == 1
    assert measure("procedures.online_planned", town, 2026) == 0


def test_providers_are_registered_with_labels() -> None:
    provider = registry.get("procedures.online_all")
    assert provider.unit == "件" and "外部サービス" in provider.label_ja
