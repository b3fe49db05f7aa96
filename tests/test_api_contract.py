"""The JSON API against its committed OpenAPI description (``docs/openapi.json``), by schemathesis.

schemathesis reads the committed file (``tests/test_api.py`` checks that it is what the code
generates) and sends each of its six operations generated requests on a live server with the demo
data: the parameters' examples (a real municipality, plan and edition, so real data is reached, not
only 404s), the edges of what the description allows and other methods on the same path (coverage
phase: 405) and random values (fuzzing, ``MAX_EXAMPLES`` per operation). Every response must be no
server error and have a documented status code, content type, headers and body schema. Each
operation must have reached real data (a 200); each item prints its cases by phase and status.

PostgreSQL run only: a live server needs committed data (a transactional test, which gets the demo
from the snapshot there). NUL and the other hostile values that fail on PostgreSQL are asked for
explicitly in ``tests/test_api.py`` (schemathesis need not happen to generate them).

Measured, ``-n 0`` on the 2-core machine: 319 cases with ``CI=true`` (10 + 5 × 61–62: examples 2,
coverage 9–10, fuzzing 50 per operation) in 7 s of calls, 27 s with the live server and the demo;
569 cases outside CI (fuzzing 100) in 12 s of calls, 32 s in all.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

OPENAPI = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: random cases per operation in the fuzzing phase (the examples and coverage phases add their own)
MAX_EXAMPLES = 50 if os.environ.get("CI") == "true" else 100

pytestmark = pytest.mark.postgres

schema = schemathesis.openapi.from_path(OPENAPI)
# Said twice on purpose: schemathesis takes a value of ``@settings`` only where it differs from
# Hypothesis's default (100), and otherwise the loaded profile's (150 outside CI, tests/conftest.py).
schema.config.generation.update(max_examples=MAX_EXAMPLES)

#: the operation under test: its cases by status and by schemathesis phase; every operation's total
_statuses: Counter[int] = Counter()
_phases: Counter[str] = Counter()
_all_cases: Counter[str] = Counter()


@pytest.fixture(params=["demo_with_plans"])
def api_url(request: pytest.FixtureRequest, live_server: Any, transactional_db: None) -> Iterator[str]:
    """The live server's URL, with the demo committed (``transactional_db`` before the demo, so the
    server's thread sees it, as in tests/browser/conftest.py). After the operation's cases: it must
    have had some, and some must have reached real data (200).

    The one parameter is the demo fixture, and it is there for the items' ids: pytest 9.2 names a
    schemathesis item without parameters by the test function alone (schemathesis 4.32 hands it the
    bare name), so all six would share one id — and the transactional demo (``tests/conftest.py``)
    is provided once per id. With a parameter each is ``…[GET /api/v1/plans][demo_with_plans]``."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL run (a live server on the demo; NUL bytes fail there)")
    request.getfixturevalue(request.param)
    _statuses.clear()
    _phases.clear()
    started = time.monotonic()
    yield str(live_server.url)
    label = getattr(request.node, "operation_label", request.node.name)
    _all_cases[label] = sum(_statuses.values())
    print(
        f"\nschemathesis {label}: {_all_cases[label]} cases {dict(_phases)} in"
        f" {time.monotonic() - started:.1f} s, by status {dict(sorted(_statuses.items()))};"
        f" {sum(_all_cases.values())} cases so far"
    )
    assert _statuses[200], f"no case of {label} reached real data (200): {dict(_statuses)}"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same cases every run: CI does not turn red by chance
    database=None,  # nothing written to .hypothesis/
    deadline=None,
    # the fixture is the live server's URL, the same for every case of an operation
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_api_answers_as_documented(case: schemathesis.Case, api_url: str) -> None:
    response = case.call_and_validate(base_url=api_url, checks=CHECKS)
    _statuses[response.status_code] += 1
    _phases[str(case.meta.phase.name) if case.meta else "?"] += 1
