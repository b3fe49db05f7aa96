"""The shared demo fixtures (tests/conftest.py): kept layers lie below each test's own transaction."""

from __future__ import annotations

import pytest
from django.db import connection

from tests import conftest
from yakusho.core.models import Municipality
from yakusho.plans.models import ReviewCycle


@pytest.mark.django_db
def test_a_test_on_the_kept_demo_runs_in_its_own_savepoint(demo_with_reviews) -> None:
    assert conftest._kept is not None and conftest._kept.kept == ("plans", "reviews")
    # Two kept layers, then the test's own block: what the test changes is rolled back after it.
    assert len(connection.atomic_blocks) == 3
    assert ReviewCycle.objects.filter(demo=True).exists()


@pytest.mark.django_db
def test_a_test_without_the_demo_sees_none_of_it() -> None:
    assert not Municipality.objects.exists()
    assert conftest._kept is None or conftest._kept.kept == ()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_loads_the_demo_itself(demo) -> None:
    assert conftest._kept is None or conftest._kept.kept == ()
    assert Municipality.objects.filter(is_demo=True).count() == 5


def test_tests_are_ordered_by_their_demo_layers(request: pytest.FixtureRequest) -> None:
    items = request.session.items
    ranks = [conftest.demo_layers(item) for item in items if not conftest.is_transactional(item)]
    order = [(), *conftest.DEMO_FIXTURES.values()]
    database_items = [r for r in ranks if r]
    assert database_items == sorted(database_items, key=order.index)
