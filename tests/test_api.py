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
