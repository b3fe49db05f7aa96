"""The committed JSON Schema of plan files is generated from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path

from yakusho.plans.planfile.schema import PlanFile, json_schema

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "plan-file.schema.json"


def test_committed_json_schema_is_current() -> None:
    assert json.loads(SCHEMA.read_text("utf-8")) == json_schema(), (
        "docs/plan-file.schema.json is stale: run `make plan-schema` and commit it"
    )


def test_schema_refuses_unknown_keys() -> None:
    assert json_schema()["additionalProperties"] is False
    assert PlanFile.model_json_schema()["title"] == "PlanFile"
