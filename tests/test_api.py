"""The JSON API and its committed OpenAPI description."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.plans.test_achievement import kpi_with
from yakusho.api import api
from yakusho.plans.models import PlanEdition

OPENAPI = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
PREFIX = "/api/v1"
#: values no municipality, plan or edition has, percent-encoded: NUL (which PostgreSQL refuses in
#: text), other control characters, invalid UTF-8, bidi controls, far longer than any field
HOSTILE = ["%00", "a%00b", "%01%08%1B%7F", "%0A", "%FF%FE", "%E2%80%AE", "x" * 3000, "-", "0"]


def _documented(response: Any, operation: str) -> None:
    """The response has a status code the committed description gives the operation (a path
    template), and its error body is that status's schema, ``{"detail": str}``."""
    responses: dict[str, Any] = json.loads(OPENAPI.read_text("utf-8"))["paths"][PREFIX + operation]["get"][
        "responses"
    ]
    status = str(response.status_code)
    assert status in responses, f"{operation} answered {status}, documented: {sorted(responses)}"
    assert response["Content-Type"].startswith("application/json")
    if status != "200":
        assert responses[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
        body = response.json()
        assert set(body) == {"detail"} and isinstance(body["detail"], str)


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


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: v if len(v) < 20 else f"{len(v)} chars")
def test_hostile_values_are_documented_not_found(demo_with_plans, client: Client, value: str) -> None:
    """No 500 (NUL raised in PostgreSQL's driver before): a value that names nothing is a 404 with
    the documented body, in a path or in ``edition``; as the ``municipality`` filter, no plans."""
    cases = [
        (f"/municipalities/{value}", "/municipalities/{slug}"),
        (f"/plans/{value}/oe-dx", "/plans/{municipality}/{key}"),
        (f"/plans/oe/{value}", "/plans/{municipality}/{key}"),
        (f"/plans/oe/oe-dx?edition={value}", "/plans/{municipality}/{key}"),
        (f"/plans/oe/{value}/nodes", "/plans/{municipality}/{key}/nodes"),
        (f"/plans/oe/oe-dx/nodes?edition={value}", "/plans/{municipality}/{key}/nodes"),
        (f"/plans/{value}/oe-dx/kpis", "/plans/{municipality}/{key}/kpis"),
        (f"/plans/oe/oe-dx/kpis?edition={value}", "/plans/{municipality}/{key}/kpis"),
    ]
    for url, operation in cases:
        response = client.get(PREFIX + url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not Found"}
        _documented(response, operation)
    response = client.get(f"{PREFIX}/plans?municipality={value}")
    assert response.status_code == 200 and response.json() == []
    _documented(response, "/plans")


@pytest.mark.django_db
def test_too_many_query_parameters_are_a_documented_400(demo_with_plans, client: Client) -> None:
    """Django refuses more than 1000 query parameters; where the API reads the query string, it says
    so in its own error body (not Django's HTML page), as documented."""
    many = "&".join(f"p{i}=1" for i in range(1001))
    for url, operation in [
        ("/plans", "/plans"),
        ("/plans/oe/oe-dx", "/plans/{municipality}/{key}"),
        ("/plans/oe/oe-dx/nodes", "/plans/{municipality}/{key}/nodes"),
        ("/plans/oe/oe-dx/kpis", "/plans/{municipality}/{key}/kpis"),
    ]:
        response = client.get(f"{PREFIX}{url}?{many}")
        assert response.status_code == 400 and response.json() == {"detail": "Bad Request"}, url
        _documented(response, operation)
    # operations without query parameters never read it: no 400 to document there
    for url, operation in [
        ("/municipalities", "/municipalities"),
        ("/municipalities/oe", "/municipalities/{slug}"),
    ]:
        response = client.get(f"{PREFIX}{url}?{many}")
        assert response.status_code == 200
        _documented(response, operation)


@pytest.mark.django_db
def test_every_path_parameter_has_an_example_of_real_data(demo_with_reviews, client: Client) -> None:
    """The committed description's examples name demo data, so schemathesis (tests/test_api_contract.py)
    reaches real answers, not only 404s: each operation with its examples filled in answers 200."""
    paths = json.loads(OPENAPI.read_text("utf-8"))["paths"]
    for template, item in paths.items():
        parameters = item["get"].get("parameters", [])
        url = template
        for p in parameters:
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", p["example"])
        query = "&".join(f"{p['name']}={p['example']}" for p in parameters if p["in"] == "query")
        assert not re.search(r"{\w+}", url)
        response = client.get(f"{url}?{query}" if query else url)
        assert response.status_code == 200, template
        assert response.json(), f"{template} with its examples answers nothing"
        _documented(response, template.removeprefix(PREFIX))


# --- what the plans API says: levels, dates as printed, figures as numbers --------------------------


@pytest.mark.django_db
def test_nodes_give_their_own_level_and_its_name_beside_their_depth(demo_with_plans, client: Client) -> None:
    """村上市 puts 取組事項 (its third level) straight under a 重点項目: depth 2, level 3."""
    nodes = {n["key"]: n for n in client.get(f"{PREFIX}/plans/murakami/murakami-dx/nodes").json()}
    awareness = nodes["g1-awareness"]
    assert (awareness["depth"], awareness["level"], awareness["level_label"]) == (2, 3, "取組事項")
    assert all(n["level_label"] for n in nodes.values())
    oe = client.get(f"{PREFIX}/plans/oe/oe-dx/nodes").json()
    labels = ["基本目標", "施策分野", "具体的施策"]
    assert all(n["level"] == n["depth"] and n["level_label"] == labels[n["level"] - 1] for n in oe)


@pytest.mark.django_db
def test_dates_printed_to_the_month_are_given_to_the_month(demo_with_plans, client: Client) -> None:
    murakami = client.get(f"{PREFIX}/plans/murakami/murakami-dx").json()
    assert (murakami["edition_date"], murakami["edition_date_precision"]) == ("2024-07", "month")
    assert (murakami["adopted_on"], murakami["adopted_on_precision"]) == ("2022-03", "month")
    older = client.get(f"{PREFIX}/plans/murakami/murakami-dx?edition=2.0").json()
    assert older["edition_date"] == "2023-03"


@pytest.mark.django_db
def test_dates_printed_to_the_day_keep_their_day(demo, plan_from, client: Client) -> None:
    kpi_with(plan_from)
    PlanEdition.objects.filter(plan__key="a").update(
        date="2024-03-29", date_precision="day", adopted_on=None, adopted_precision="day"
    )
    out = client.get(f"{PREFIX}/plans/oe/a").json()
    assert (out["edition_date"], out["edition_date_precision"]) == ("2024-03-29", "day")
    assert (out["adopted_on"], out["adopted_on_precision"]) == (None, "day")


@pytest.mark.django_db
def test_figures_are_json_numbers_without_stored_zeros(demo, plan_from, client: Client) -> None:
    kpi_with(plan_from, baseline=100, targets=[(2029, 700, True)], actuals=[(2024, 14.4), (2025, 320)])
    response = client.get(f"{PREFIX}/plans/oe/a/kpis")
    assert ".000000" not in response.content.decode()
    (out,) = response.json()
    assert out["baseline_value"] == 100 and type(out["baseline_value"]) is int
    assert [t["value"] for t in out["targets"]] == [700]
    assert [a["value"] for a in out["actuals"]] == [14.4, 320]
    assert out["judged_value"] == 320 and type(out["judged_value"]) is int
    assert out["progress"] == 0.367  # (320 - 100) / (700 - 100)
    _documented(response, "/plans/{municipality}/{key}/kpis")
