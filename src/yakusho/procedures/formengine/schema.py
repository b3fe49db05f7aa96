"""The form definition format (JSON), as pydantic models.

This module *is* the format: ``docs/form-definition.schema.json`` is generated from it
(:func:`json_schema`) and ``docs/forms.md`` explains it. Structure only is checked here; the rules
that need the whole definition (unique keys, references, cycles, page order) are in
:mod:`.definition`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
FormKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Help = Annotated[str, StringConstraints(max_length=2000)]
Markdown = Annotated[str, StringConstraints(max_length=50000)]
Expression = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
FeeItemKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]
FactSlug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_.]{0,59}$"),
    Field(description="a resident's fact, e.g. contact.phone, moving.previous_address"),
]
DateBound = Annotated[
    str,
    StringConstraints(pattern=r"^(\d{4}-\d{2}-\d{2}|today([+-]\d{1,5}[dy])?)$"),
    Field(description="an ISO date (2026-04-01) or today, today+14d, today-18y"),
]
#: file kinds an upload field may accept; each is sniffed from the content
FileKind = Literal["pdf", "jpeg", "png", "gif", "heic", "webp", "tiff", "docx", "xlsx", "pptx", "doc", "xls"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Option(Strict):
    value: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,60}$")] = Field(
        description="what is stored and posted; ASCII"
    )
    label: Label = Field(description="what the resident reads")


class BaseField(Strict):
    key: FieldKey = Field(description="unique in the form (in a group: unique in the group); the input name")
    label: Label
    help: Help = Field("", description="hint shown under the label")
    required: bool = False
    visible_when: Expression | None = Field(
        None, description="shown (and validated, and kept) only when this expression is true"
    )
    fact: FactSlug | None = Field(
        None,
        description=(
            "this answer is the resident's fact <slug>: at the counter, a field with the same fact in"
            " another form of the visit is filled from it (not for file or group fields, nor inside a"
            " group; on a resident block: the prefix of its parts' facts, default resident)"
        ),
    )


class TextField(BaseField):
    type: Literal["text"]
    min_length: Annotated[int, Field(ge=0)] | None = None
    max_length: Annotated[int, Field(ge=1, le=2000)] = 200
    pattern: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="a regular expression the whole (normalised) value must match"
    )
    pattern_message: Annotated[str, StringConstraints(max_length=300)] = Field(
        "", description="what to tell the resident when the pattern does not match"
    )
    placeholder: Annotated[str, StringConstraints(max_length=200)] = ""


class TextareaField(BaseField):
    type: Literal["textarea"]
    min_length: Annotated[int, Field(ge=0)] | None = None
    max_length: Annotated[int, Field(ge=1, le=20000)] = 4000
    rows: Annotated[int, Field(ge=2, le=30)] = 5


class NumberField(BaseField):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    decimals: Annotated[int, Field(ge=0, le=4)] = Field(0, description="digits allowed after the point")
    unit: Annotated[str, StringConstraints(max_length=20)] = Field("", description="円, 台, 人 …")


class DateField(BaseField):
    type: Literal["date"]
    min: DateBound | None = None
    max: DateBound | None = None


class SelectField(BaseField):
    type: Literal["select"]
    options: Annotated[list[Option], Field(min_length=1, max_length=500)]


class RadioField(BaseField):
    type: Literal["radio"]
    options: Annotated[list[Option], Field(min_length=1, max_length=50)]


class CheckboxField(BaseField):
    type: Literal["checkbox"]
    options: Annotated[list[Option], Field(min_length=1, max_length=50)]
    min_items: Annotated[int, Field(ge=0)] | None = Field(None, description="fewest options to tick")
    max_items: Annotated[int, Field(ge=1)] | None = Field(None, description="most options to tick")


class EmailField(BaseField):
    type: Literal["email"]


class PhoneField(BaseField):
    type: Literal["phone"]
    mobile_only: bool = Field(False, description="accept only 070/080/090 numbers")


class PostalCodeField(BaseField):
    type: Literal["postal_code"]


class AddressField(BaseField):
    type: Literal["address"]
    postal_code: bool = Field(True, description="ask for the postal code too")
    building: bool = Field(True, description="ask for 方書 (building, room) too")


class NameField(BaseField):
    type: Literal["name"]
    kana: bool = Field(True, description="ask for フリガナ too (checked as katakana)")


class FileField(BaseField):
    type: Literal["file"]
    accept: Annotated[list[FileKind], Field(min_length=1)] = Field(
        description="kinds of file allowed; checked by extension and by content"
    )
    max_size: Annotated[int, Field(ge=1024, le=50 * 1024 * 1024)] = Field(
        10 * 1024 * 1024, description="largest size in bytes"
    )


class ConsentField(BaseField):
    type: Literal["consent"]
    text: Markdown = Field("", description="what the resident agrees to (Markdown)")


ResidentPart = Literal["name", "address", "birth_date", "sex"]


def _all_resident_parts() -> list[ResidentPart]:
    return ["name", "address", "birth_date", "sex"]


class ResidentField(BaseField):
    """住民の基本4情報: 氏名（フリガナ）, 住所, 生年月日, 性別."""

    type: Literal["resident"]
    parts: list[ResidentPart] = Field(
        default_factory=_all_resident_parts,
        description="which of the four basic items to ask for",
    )


ScalarField = Annotated[
    TextField
    | TextareaField
    | NumberField
    | DateField
    | SelectField
    | RadioField
    | CheckboxField
    | EmailField
    | PhoneField
    | PostalCodeField
    | AddressField
    | NameField
    | FileField
    | ConsentField
    | ResidentField,
    Field(discriminator="type"),
]


class GroupField(BaseField):
    """A repeating group: the same fields once per row (each child, each item)."""

    type: Literal["group"]
    fields: Annotated[list[ScalarField], Field(min_length=1, max_length=50)]
    min_items: Annotated[int, Field(ge=0, le=100)] = 0
    max_items: Annotated[int, Field(ge=1, le=100)] = 10
    item_label: Annotated[str, StringConstraints(max_length=60)] = Field(
        "", description="what one row is called (子ども, 品目); defaults to the label"
    )


AnyField = Annotated[ScalarField | GroupField, Field(discriminator="type")]
FIELD_TYPES: tuple[str, ...] = (
    "text",
    "textarea",
    "number",
    "date",
    "select",
    "radio",
    "checkbox",
    "email",
    "phone",
    "postal_code",
    "address",
    "name",
    "file",
    "consent",
    "resident",
    "group",
)


class Page(Strict):
    key: FieldKey
    title: Label
    description: Markdown = ""
    visible_when: Expression | None = Field(None, description="the whole page is skipped unless true")
    fields: Annotated[list[AnyField], Field(min_length=1, max_length=200)]


class FeeItem(Strict):
    label: Label
    amount: Expression = Field(description="an expression in yen, e.g. 300 * large_items")
    when: Expression | None = Field(None, description="counted only when this expression is true")
    fee_item: FeeItemKey | None = Field(
        None,
        description="the municipality's fee catalogue item this is charged as at the till (payments), "
        "e.g. juminhyo",
    )
    quantity: Expression | None = Field(
        None, description="how many of the catalogue item, e.g. copies (1 when not given); needs fee_item"
    )


class Fee(Strict):
    items: Annotated[list[FeeItem], Field(min_length=1, max_length=50)]
    note: Help = Field("", description="how it is paid, shown with the amount")


class FormDefinitionFile(Strict):
    model_config = ConfigDict(extra="forbid", title="FormDefinition", populate_by_name=True)

    schema_: str | None = Field(None, alias="$schema", description="for editors; ignored")
    key: FormKey = Field(description="stable key of the form, e.g. sodai-gomi")
    version: Annotated[int, Field(ge=1)] = Field(description="raised every time the definition changes")
    title: Label
    description: Markdown = ""
    privacy_notice: Markdown = Field(description="個人情報の取扱い, shown before the form (Markdown)")
    pages: Annotated[list[Page], Field(min_length=1, max_length=30)]
    fee: Fee | None = None


def json_schema() -> dict[str, object]:
    """The JSON Schema of form definitions (committed as docs/form-definition.schema.json)."""
    schema = FormDefinitionFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://yakusho.invalid/schemas/form-definition-1.json"
    return schema


def write_json_schema(path: str = "docs/form-definition.schema.json") -> None:
    """Rewrite the committed schema (``tests/procedures/test_formengine.py`` says when it is stale)."""
    import json
    from pathlib import Path

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    Path(path).write_text(text, "utf-8")
