"""The FAQ file format (``data/faq/<slug>.yaml``), as pydantic models: structure only; what needs
the database (the owner, its departments, procedures and resources) is checked by :mod:`files`.
docs/faq.md explains the format."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Question = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Phrasing = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Answer = Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategorySpec(Strict):
    name: Name
    subcategories: list[Name] = Field(default_factory=list, max_length=30)


class EntrySpec(Strict):
    key: Key
    category: Name
    subcategory: Name | None = None
    question: Question
    phrasings: list[Phrasing] = Field(default_factory=list, max_length=20)
    answer: Answer
    department: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None
    procedures: list[Key] = Field(default_factory=list, max_length=20)
    resources: list[Key] = Field(default_factory=list, max_length=20)
    visibility: Literal["public", "staff"] = "public"
    valid_from: date | None = None
    valid_to: date | None = None
    reviewed: date | None = None


class OverrideSpec(Strict):
    entry: Key
    answer: Answer
    department: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None


class FaqFile(Strict):
    municipality: Key | None = None
    consortium: Key | None = None
    demo: bool = False
    categories: list[CategorySpec] = Field(default_factory=list, max_length=50)
    entries: list[EntrySpec] = Field(default_factory=list)
    overrides: list[OverrideSpec] = Field(default_factory=list)
