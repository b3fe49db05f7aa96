"""The plan file format (YAML, one file per plan edition), as pydantic models.

This module *is* the format: ``docs/plan-file.schema.json`` is generated from it (``make
plan-schema``) and ``docs/plan-file-format.md`` explains it. Structure only is checked here;
``plans.validate`` checks what needs the whole file or the database (parents, periods, units,
departments, national items).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from yakusho.core.jcal import EARLIEST, LATEST

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)]
FiscalYear = Annotated[int, Field(ge=1900, le=2200)]
Text = Annotated[str, StringConstraints(max_length=20000)]
Markdown = Annotated[str, StringConstraints(max_length=200000)]
#: a month as printed when the plan gives no day (「令和5年12月」): ``2023-12``
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def _plan_date(value: object) -> datetime.date | str:
    """A day or a month, between 1873 and 2199 like every date Yakusho reads (``core.jcal``)."""
    day: datetime.date | None = None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        day = value
    elif isinstance(value, str) and (re.match(MONTH_PATTERN, value) or len(value) == 10):
        try:
            day = datetime.date.fromisoformat(value if len(value) == 10 else f"{value}-01")
        except ValueError:
            day = None
    if day is None or not EARLIEST <= day <= LATEST:
        raise PydanticCustomError("plan_date", "must be a date (YYYY-MM-DD) or a month (YYYY-MM)")
    return value if isinstance(value, str) and len(value) == 7 else day


#: a day (``2023-12-01``) or, where the plan prints only the month, the month (``2023-12``)
PlanDate = Annotated[
    datetime.date | str,
    PlainValidator(_plan_date),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "pattern": MONTH_PATTERN},
            ]
        }
    ),
]
LevelLabel = Annotated[str, StringConstraints(min_length=1, max_length=30)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Edition(Strict):
    number: Annotated[str, StringConstraints(min_length=1, max_length=20)] = Field(
        description="版 as printed, e.g. '2.3'"
    )
    date: PlanDate | None = Field(
        None, description="date of that edition (策定・改訂): 2024-07-01, or 2024-07 for a month alone"
    )
    note: Text = Field("", description="what changed")


class Section(Strict):
    title: Text
    body: Markdown = ""


class DepartmentRef(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    lead: bool = False


#: a figure's alternative text: required, and more than blanks (it is all some readers get)
AltText = Annotated[str, StringConstraints(min_length=1, max_length=20000, pattern=r"\S")]


class Figure(Strict):
    """A diagram the plan prints (推進体制図 …), kept with the words that say what it shows."""

    key: Key = Field(description="unique among the edition's figures (edition level and nodes alike)")
    caption: Annotated[str, StringConstraints(max_length=300)] = Field(
        "", description="表題 as printed: 図表 2.6-1 DX推進体制"
    )
    alt: AltText = Field(
        description=(
            "alternative text, required: what the figure shows, in words, for readers who cannot see it"
            " (and the only content while no image is registered)"
        )
    )
    source: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", description="where the plan prints it: 「2.6 推進体制」（21ページ）"
    )
    file: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        None,
        description=(
            "the image (PNG, JPEG or SVG, checked by content), as a path relative to the plan file;"
            " only when the file is imported from disk (yakusho import-plan)"
        ),
    )


ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Cell = Annotated[str, StringConstraints(max_length=20000)]


class Table(Strict):
    """A list the plan prints (procedures to put online, systems to migrate), kept as data."""

    key: Key = Field(description="unique among the edition's lists (edition level and nodes alike)")
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)] = Field(
        description="表題 as printed"
    )
    columns: list[ColumnName] = Field(min_length=1, max_length=50, description="column names, as printed")
    rows: list[list[Cell]] = Field(
        default_factory=list,
        max_length=5000,
        description="rows of text cells, each exactly as long as columns; a cell left empty is ''",
    )
    note: Text = Field("", description="what the plan prints with the list (計17業務), transcription notes")
    source: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", description="where the plan prints it"
    )


class Node(Strict):
    key: Key = Field(description="stable across editions; the printed code may change")
    parent: Key | None = Field(None, description="key of the parent node; none for the top level")
    code: Annotated[str, StringConstraints(max_length=30)] = Field(
        "", description="as printed: 1-1, (1)-1-3, ⑰"
    )
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    level: LevelLabel | None = Field(
        None,
        description=(
            "what the node is, as one of level_labels (取組事項), when that is not its depth: a 取組事項"
            " printed straight under a 重点項目; default: the label of its depth"
        ),
    )
    description: Markdown = ""
    current_state: Markdown = Field("", description="現状と課題 / これまでの取組み")
    actions: Markdown = Field("", description="主な取組み / 今後必要な取組み")
    effects: Markdown = Field("", description="期待される効果")
    departments: list[DepartmentRef] = Field(default_factory=list, description="担当課; one may be lead")
    department_note: Text = Field("", description="what the plan says beyond named 課: 全課, 横断, 各担当課")
    national_items: list[Key] = Field(default_factory=list, description="keys of national items")
    continues: list[Key] = Field(
        default_factory=list,
        description="keys of the predecessor plan's nodes this one carries on (predecessor given by key)",
    )
    figures: list[Figure] = Field(default_factory=list, description="diagrams printed with this node")
    lists: list[Table] = Field(default_factory=list, description="lists printed with this node")
    note: Text = Field("", description="transcription notes (how a broken table was read, …)")


class ScheduleEntry(Strict):
    node: Key
    first_year: FiscalYear
    last_year: FiscalYear
    activity: Text
    phase: Annotated[str, StringConstraints(max_length=40)] = Field(
        "", description="the plan's own word for the bar's stage, where it prints one apart from the activity"
    )
    note: Text = ""
    source: Annotated[str, StringConstraints(max_length=60)] = Field(
        "",
        description="where the plan prints this bar when it prints two schedules (ロードマップ, 施策シート)",
    )


class Baseline(Strict):
    fiscal_year: FiscalYear | None = None
    date: PlanDate | None = Field(None, description="2024-01-31, or 2023-12 for 「令和5年12月時点」")
    value: Decimal | None = None
    text: Text = Field("", description="as printed")
    note: Text = Field("", description="e.g. 令和6年1月末現在")


class Target(Strict):
    fiscal_year: FiscalYear | None = Field(None, description="none: the plan's final target")
    value: Decimal | None = None
    unit: Annotated[str, StringConstraints(max_length=20)] = Field(
        "", description="defaults to the KPI's unit"
    )
    text: Text = Field(description="as printed, always")
    final: bool = False


class Actual(Strict):
    fiscal_year: FiscalYear
    value: Decimal | None = None
    text: Text = ""
    date: datetime.date | None = None
    note: Text = ""


Accumulation = Literal["per_year", "cumulative", "running_total", "point_in_time", "every_n_years"]


class Kpi(Strict):
    key: Key
    node: Key
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    unit: Annotated[str, StringConstraints(max_length=20)] = ""
    direction: Literal["increase", "decrease", "keep", "qualitative"]
    accumulation: Literal["per_year", "cumulative", "running_total", "point_in_time", "every_n_years"] = (
        Field(
            "point_in_time",
            description=(
                "per_year: each year's actual against that year's target; cumulative: the sum of the yearly"
                " actuals against a running-total target; running_total: actuals reported as the running"
                " total itself; point_in_time: the latest value (a rate, a stock); every_n_years: done once"
                " every interval_years years"
            ),
        )
    )
    interval_years: Annotated[int, Field(ge=2, le=10)] | None = Field(
        None, description="with every_n_years: how many years (「3年ごとに1回」: 3)"
    )
    baseline: Baseline | None = None
    targets: list[Target] = Field(default_factory=list)
    actuals: list[Actual] = Field(default_factory=list, description="as printed in the plan document")
    reprint_of: Key | None = Field(None, description="再掲: key of the KPI this reprints")
    metric: Annotated[str, StringConstraints(max_length=80)] | None = Field(
        None, description="metrics registry key"
    )
    indicator: Key | None = Field(None, description="standard indicator key (data/indicators.yaml)")
    note: Text = ""


class Observation(Strict):
    node: Key | None = Field(None, description="none: about the plan as a whole")
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    value: Decimal | None = None
    unit: Annotated[str, StringConstraints(max_length=20)] = ""
    text: Text = Field("", description="as printed")
    as_of: PlanDate | None = Field(None, description="2025-07-31, or 2025-07 for 「R7年7月時点」")
    as_of_text: Text = Field("", description="as printed, e.g. R7.7")
    indicator: Key | None = None
    note: Text = ""


class Term(Strict):
    term: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reading: Annotated[str, StringConstraints(max_length=200)] = ""
    definition: Markdown


class GradeLevel(Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=4)] = Field(description="記号: A, ◎, 1")
    label: Annotated[str, StringConstraints(min_length=1, max_length=60)] = Field(description="意味: 順調")
    description: Text = Field("", description="the municipality's own description of the level")


class Scale(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description=(
            "the scale's name in the plan; a scale once stored is never rewritten: new levels, new name"
        )
    )
    levels: list[GradeLevel] = Field(
        min_length=2, max_length=10, description="best first, as the plan orders them"
    )


class Review(Strict):
    """How the plan's progress is reviewed (進捗評価)."""

    period: Literal["year", "half", "quarter"] = Field(
        "year", description="year: 年度ごと; half: 半期ごと; quarter: 四半期ごと"
    )
    graded: Literal["department", "node", "kpi"] = Field(
        "department",
        description="department: each 課's part of an initiative; node: each initiative; kpi: each KPI",
    )
    scale: Scale | None = Field(None, description="the grading scale; none: chosen later (default A–D)")


class Predecessor(Strict):
    """The plan this one follows (第1期 → 第2期): by key when Yakusho holds it, else by its title."""

    key: Key | None = Field(None, description="key of the previous plan of the same municipality in Yakusho")
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = Field(
        None, description="the previous plan's name as printed, when Yakusho does not hold it"
    )

    @model_validator(mode="after")
    def _one_of(self) -> Predecessor:
        if (self.key is None) == (self.title is None):
            raise PydanticCustomError("plan_predecessor", "give either key or title")
        return self


class ClosingReview(Strict):
    """A closing review (総括) of a plan period."""

    of: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = Field(
        None,
        description=(
            "title of the plan reviewed, when it is an earlier plan Yakusho does not hold and this"
            " plan's document prints its review; none: this plan's own"
        ),
    )
    node: Key | None = Field(
        None, description="key of this plan's node it reviews (without of); none: the whole"
    )
    title: Annotated[str, StringConstraints(max_length=300)] = Field(
        "", description="the item reviewed, as printed (with of: the earlier plan's item)"
    )
    text: Annotated[str, StringConstraints(min_length=1, max_length=200000)] = Field(description="Markdown")
    date: PlanDate | None = None
    source: Annotated[str, StringConstraints(max_length=200)] = Field("", description="where it is printed")


class PlanFile(Strict):
    """One edition of one municipality's DX plan."""

    format: Literal["yakusho-plan/1"]
    municipality: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] = Field(
        description="全国地方公共団体コード (6 digits)"
    )
    key: Key = Field(description="the plan's key within the municipality; editions share it")
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="計画 / 基本計画 / 推進方針 / アクションプラン / 実施計画 …"
    )
    adopted_on: PlanDate | None = Field(
        None, description="策定: 2024-02-01, or 2024-02 when only the month is printed"
    )
    first_year: FiscalYear
    last_year: FiscalYear
    published: bool = True
    edition: Edition = Field(description="the edition this file holds")
    editions: list[Edition] = Field(default_factory=list, description="the edition history as printed")
    predecessor: Predecessor | None = Field(None, description="the plan this one follows")
    national_framework: Key | None = Field(
        None, description="version of 自治体DX推進計画 cited; none: the one in force at adoption"
    )
    review: Review = Field(
        default_factory=lambda: Review.model_validate({}), description="how progress is reviewed"
    )
    level_labels: list[LevelLabel] = Field(min_length=1, max_length=6)
    vision: Markdown = Field("", description="目指す姿")
    position: Markdown = Field("", description="位置づけ")
    governance: Markdown = Field("", description="推進体制")
    principles: Markdown = ""
    sections: list[Section] = Field(default_factory=list, description="other chapters, in order")
    figures: list[Figure] = Field(default_factory=list, description="diagrams of the plan as a whole")
    lists: list[Table] = Field(default_factory=list, description="lists of the plan as a whole")
    nodes: list[Node] = Field(min_length=1)
    schedule: list[ScheduleEntry] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    glossary: list[Term] = Field(default_factory=list)
    closing_review: list[ClosingReview] = Field(
        default_factory=list,
        description="総括: of this plan (whole or per node), or printed of an earlier one",
    )
    note: Text = Field("", description="transcription notes for the whole file")


def json_schema() -> dict[str, object]:
    """The JSON Schema of plan files (committed as docs/plan-file.schema.json)."""
    schema = PlanFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://yakusho.invalid/schemas/plan-file-1.json"
    return schema


def split_date(value: datetime.date | str | None) -> tuple[datetime.date | None, Literal["day", "month"]]:
    """A plan date as stored: ``2023-12`` is the month's first day with precision ``month``."""
    if isinstance(value, str):
        return datetime.date.fromisoformat(f"{value}-01"), "month"
    return value, "day"


def join_date(day: datetime.date | None, precision: str) -> datetime.date | str | None:
    """The stored date back as the file writes it (``2023-12`` for a month)."""
    if day is not None and precision == "month":
        return f"{day:%Y-%m}"
    return day
