"""The procedure file format (``data/procedures/<municipality-slug>.yaml``), as pydantic models.

This module *is* the format (``docs/procedures.md`` explains it). Structure only is checked here;
:mod:`yakusho.procedures.catalogue.files` checks what needs the whole file or the database (the
municipality, its departments, the national list, the form files).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from yakusho.procedures.models import LifeEvent

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
Line = Annotated[str, StringConstraints(max_length=300)]
Text = Annotated[str, StringConstraints(max_length=20000)]
FiscalYear = Annotated[int, Field(ge=2000, le=2100)]

#: Life events may be written as their code (``moving-in``) or their Japanese label (``転入``).
_LIFE_EVENTS = {e.value: e.value for e in LifeEvent} | {str(e.label): e.value for e in LifeEvent}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Channel(Strict):
    kind: Literal["yakusho", "external", "counter", "convenience-store", "post"]
    status: Literal["available", "planned"] = "available"
    target_fiscal_year: FiscalYear | None = Field(None, description="planned: the fiscal year it starts")
    service: Line = Field("", description="external: the service's name (マイナポータル, LoGoフォーム …)")
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=200)] | None = None
    note: Line = ""

    @model_validator(mode="after")
    def _coherent(self) -> Channel:
        if self.kind == "external" and not self.service:
            raise ValueError("external_needs_service")
        if self.target_fiscal_year is not None and self.status != "planned":
            raise ValueError("year_only_when_planned")
        return self


class ProcedureEntry(Strict):
    key: Key
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kana: Annotated[str, StringConstraints(max_length=300)] = Field(
        "", description="reading in hiragana or katakana"
    )
    department: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    summary: Line = ""
    description: Text = Field("", description="for residents, Markdown")
    audience: Text = Field("", description="who it is for")
    life_events: list[str] = Field(default_factory=list)
    fee_yen: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    fee_text: Line = ""
    documents: list[Line] = Field(default_factory=list, description="what to bring or attach")
    legal_basis: Line = ""
    processing_days: Annotated[int, Field(ge=0, le=365)] | None = Field(
        None, description="標準処理期間 in business days"
    )
    retention_years: Annotated[int, Field(ge=1, le=100)] = 5
    priority: Key | None = Field(None, description="key in the national list (priority_version)")
    published: bool = True
    issues_certificate: bool = Field(
        False,
        description="証明書の交付: copies issued at the counter are counted (counter_certificates)",
    )
    payment_timing: Literal["before", "later"] = Field(
        "before",
        description="a fee paid online (the form's fee items take オンライン決済): before it counts as"
        " submitted, or later from the status page",
    )
    paper_at_counter: bool = Field(
        False, description="still needs a signed paper form at the counter: the counter prints it filled in"
    )
    channels: list[Channel] = Field(default_factory=list)
    note: Text = Field("", description="for staff: where this comes from")

    @field_validator("life_events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            if item not in _LIFE_EVENTS:
                raise ValueError(f"unknown_life_event:{item}")
            out.append(_LIFE_EVENTS[item])
        return list(dict.fromkeys(out))


class ProcedureFile(Strict):
    municipality: Key = Field(description="the municipality's slug")
    priority_version: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None, description="which version of the national list ``priority`` keys refer to"
    )
    source: Text = Field("", description="where the content comes from")
    procedures: list[ProcedureEntry]
