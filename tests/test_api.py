"""The JSON API and its committed OpenAPI description."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from yakusho.api import api

OPENAPI = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def test_committed_openapi_description_is_current() -> None:
    generated = json.loads(json.dumps(api.get_openapi_schema(), sort_keys=True))
    committed = json.loads(OPENAPI.read_text("utf-8"))
    assert committed == generated, "docs/openapi.json is stale: run `make openapi` and commit it"


@pytest.mark.django_db
def test_municipalities(demo, client: Client) -> None:
    data = client.get("/api/v1/municipalities").json()
    assert [m["code"] for m in data] == sorted(m["code"] for m in data)
    assert {m["name"] for m in data} == {"潟上市", "潮来市", "村上市", "大江町", "美郷町"}
    oe = client.get("/api/v1/municipalities/oe").json()
    assert oe["code"] == "063240" and isinstance(oe["is_open_now"], bool)
    assert "税務町民課" in [d["name"] for d in oe["departments"]]
    assert client.get("/api/v1/municipalities/nowhere").status_code == 404


@pytest.mark.django_db
def test_no_interactive_docs_from_a_cdn(client: Client) -> None:
    assert client.get("/api/v1/docs").status_code == 404


@pytest.mark.django_db
def test_plans_api(demo_with_plans, client: Client) -> None:
    plans = client.get("/api/v1/plans").json()
    assert {p["municipality"] for p in plans} == {"katagami", "itako", "murakami", "oe", "misato"}
    oe = client.get("/api/v1/plans/oe/oe-dx").json()
    assert oe["first_year"] == 2024 and oe["level_labels"] == ["基本目標", "施策分野", "具体的施策"]
    nodes = client.get("/api/v1/plans/oe/oe-dx/nodes").json()
    assert len(nodes) == 43 and sum(1 for n in nodes if n["depth"] == 3) == 33
    kpis = client.get("/api/v1/plans/oe/oe-dx/kpis").json()
    line = next(k for k in kpis if k["name"] == "LINE友だち数")
    assert line["baseline_text"] == "569人" and line["targets"][0]["fiscal_year"] == 2029
    older = client.get("/api/v1/plans/murakami/murakami-dx?edition=2.0").json()
    assert older["edition"] == "2.0"


@pytest.mark.django_db
def test_unpublished_plans_are_not_in_the_api(demo_with_plans, client: Client) -> None:
    from yakusho.plans.models import Plan

    Plan.objects.filter(key="oe-dx").update(published=False)
    assert client.get("/api/v1/plans/oe/oe-dx").status_code == 404
    assert client.get("/api/v1/plans/oe/oe-dx/kpis").status_code == 404
    assert "oe" not in {p["municipality"] for p in client.get("/api/v1/plans").json()}
