"""FAQ files: read with line numbers, check against the database, import all-or-nothing.

Errors name the file, line and field, in Japanese and English::

    oe.yaml:42 entries[3].department: この団体にない課です（住民課） (no such department)

Importing is a sync by key: entries in the file are created or updated (an entry whose text changes
gets its version raised; the audit trail keeps every earlier text), their links to procedures and
resources replaced; a municipality's categories are replaced by the file's. Entries the file does
not name are left alone. A file that changes nothing writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from yakusho.bookings.models import Resource
from yakusho.core.datafiles import DataFile, DataFileInvalid, FileError
from yakusho.core.models import Consortium, Department, Municipality
from yakusho.faq.models import Category, Entry, Override, SharedEntry
from yakusho.faq.schema import EntrySpec, FaqFile
from yakusho.procedures.models import Procedure

MAX_ENTRIES = 20_000
#: what residents read as the entry: a change of these raises its version (as on the staff pages)
VERSIONED_FIELDS = ("question", "phrasings", "answer")
TEXT_FIELDS = (
    "category",
    "subcategory",
    "question",
    "phrasings",
    "answer",
    "visibility",
    "valid_from",
    "valid_to",
)


class FaqFileInvalid(DataFileInvalid):
    """A refused FAQ file, with every error found."""


@dataclass
class ImportResult:
    owner: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    overrides: int = 0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.owner}: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.overrides} local answers"
        )


@dataclass
class _Checked:
    municipality: Municipality | None = None
    consortium: Consortium | None = None
    departments: dict[str, Department] = field(default_factory=dict)
    procedures: dict[str, Procedure] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    shared: dict[str, SharedEntry] = field(default_factory=dict)


def faq_files() -> list[Path]:
    """The shipped FAQ files, consortia's first (members' local answers refer to their entries)."""
    files = sorted((Path(settings.DATA_DIR) / "faq").glob("*.yaml"))
    consortia = set(Consortium.objects.values_list("slug", flat=True))
    return sorted(files, key=lambda p: (p.stem not in consortia, p.name))


def import_file(path: str | Path) -> ImportResult:
    path = Path(path)
    return import_text(DataFile.raw(path, invalid=FaqFileInvalid), path.name)


def import_text(text: str | bytes, file: str = "<text>") -> ImportResult:
    """Validate everything first, then write in one transaction (nothing on any error)."""
    parsed = DataFile.read(text, file, invalid=FaqFileInvalid)
    parsed.limit_items(("entries",), MAX_ENTRIES, invalid=FaqFileInvalid)
    doc = parsed.validate(FaqFile, invalid=FaqFileInvalid)
    checked = _check(doc, parsed)
    with transaction.atomic():
        return _write(doc, checked)


def _check(doc: FaqFile, parsed: DataFile) -> _Checked:
    errors: list[FileError] = []
    checked = _Checked()

    def fail(path: tuple[str | int, ...], ja: str, en: str) -> None:
        errors.append(parsed.error(path, ja, en))

    if bool(doc.municipality) == bool(doc.consortium):
        fail(
            (),
            "municipality（団体）か consortium（広域連携）のどちらか一つを書いてください",
            "name exactly one owner: municipality or consortium",
        )
        raise FaqFileInvalid(errors)
    if doc.municipality:
        checked.municipality = Municipality.objects.filter(slug=doc.municipality).first()
        if checked.municipality is None:
            fail(("municipality",), f"この団体はありません（{doc.municipality}）", "no such municipality")
            raise FaqFileInvalid(errors)
        m = checked.municipality
        checked.departments = {d.name: d for d in Department.objects.for_municipality(m)}
        checked.procedures = {p.key: p for p in Procedure.objects.for_municipality(m)}
        checked.resources = {r.key: r for r in Resource.objects.for_municipality(m)}
        checked.shared = {
            e.key: e for e in SharedEntry.objects.filter(consortium__members=m).select_related("consortium")
        }
    else:
        checked.consortium = Consortium.objects.filter(slug=doc.consortium).first()
        if checked.consortium is None:
            fail(("consortium",), f"この広域連携はありません（{doc.consortium}）", "no such consortium")
            raise FaqFileInvalid(errors)
        if doc.overrides:
            fail(
                ("overrides",),
                "広域連携のファイルには overrides を書けません",
                "a consortium file has no overrides",
            )

    categories: dict[str, set[str]] = {}
    for i, category in enumerate(doc.categories):
        if category.name in categories:
            fail(("categories", i, "name"), f"分類が二度あります（{category.name}）", "category named twice")
        if len(set(category.subcategories)) != len(category.subcategories):
            fail(("categories", i, "subcategories"), "同じ小分類が二度あります", "a sub-category named twice")
        categories[category.name] = set(category.subcategories)

    seen: dict[str, int] = {}
    for i, entry in enumerate(doc.entries):
        where = ("entries", i)
        if entry.key in seen:
            fail(
                (*where, "key"),
                f"キーが entries[{seen[entry.key]}] と重複しています（{entry.key}）",
                "duplicate key",
            )
        seen.setdefault(entry.key, i)
        _check_entry(entry, where, categories, checked, fail)
    for i, override in enumerate(doc.overrides):
        where = ("overrides", i)
        if override.entry not in checked.shared:
            fail(
                (*where, "entry"),
                f"所属する広域連携にこの共有の質問はありません（{override.entry}）",
                "no such shared entry in this municipality's consortia",
            )
        if override.department and override.department not in checked.departments:
            fail(
                (*where, "department"), f"この団体にない課です（{override.department}）", "no such department"
            )
    if errors:
        raise FaqFileInvalid(errors)
    return checked


def _check_entry(
    entry: EntrySpec,
    where: tuple[str | int, ...],
    categories: dict[str, set[str]],
    checked: _Checked,
    fail: Any,
) -> None:
    if categories:
        if entry.category not in categories:
            fail(
                (*where, "category"),
                f"categories にない分類です（{entry.category}）",
                "category not in categories",
            )
        elif entry.subcategory and entry.subcategory not in categories[entry.category]:
            fail(
                (*where, "subcategory"),
                f"この分類にない小分類です（{entry.subcategory}）",
                "sub-category not in its category",
            )
    if entry.valid_from and entry.valid_to and entry.valid_to < entry.valid_from:
        fail((*where, "valid_to"), "掲載終了日が掲載開始日より前です", "valid_to is before valid_from")
    if checked.consortium is not None:
        for name in ("department", "procedures", "resources"):
            if getattr(entry, name):
                fail(
                    (*where, name),
                    f"広域連携の質問には {name} を書けません（団体ごとに異なるため）",
                    f"a shared entry has no {name}",
                )
        return
    if entry.department and entry.department not in checked.departments:
        fail((*where, "department"), f"この団体にない課です（{entry.department}）", "no such department")
    for j, key in enumerate(entry.procedures):
        if key not in checked.procedures:
            fail((*where, "procedures", j), f"この団体にない手続です（{key}）", "no such procedure")
    for j, key in enumerate(entry.resources):
        if key not in checked.resources:
            fail(
                (*where, "resources", j),
                f"この団体にない予約の対象です（{key}）",
                "no such bookable resource",
            )


def _values(entry: EntrySpec, demo: bool) -> dict[str, Any]:
    return {
        "category": entry.category,
        "subcategory": entry.subcategory or "",
        "question": entry.question,
        "phrasings": "\n".join(entry.phrasings),
        "answer": entry.answer,
        "visibility": entry.visibility,
        "valid_from": entry.valid_from,
        "valid_to": entry.valid_to,
        "reviewed_on": entry.reviewed,
        "is_demo": demo,
    }


def _write(doc: FaqFile, checked: _Checked) -> ImportResult:
    municipality, consortium = checked.municipality, checked.consortium
    result = ImportResult(doc.municipality or doc.consortium or "")
    if municipality is not None:
        _write_categories(municipality, doc)
        existing: dict[str, Any] = {
            e.key: e
            for e in Entry.objects.for_municipality(municipality).prefetch_related("procedures", "resources")
        }
    else:
        existing = {e.key: e for e in SharedEntry.objects.for_consortium(consortium)}  # type: ignore[arg-type]
    for entry in doc.entries:
        values = _values(entry, doc.demo)
        if municipality is not None:
            department = checked.departments.get(entry.department or "")
            values["department_id"] = department.pk if department else None
        row = existing.get(entry.key)
        if row is None:
            model = Entry if municipality is not None else SharedEntry
            owner = {"municipality": municipality} if municipality is not None else {"consortium": consortium}
            row = model.objects.create(key=entry.key, **owner, **values)
            result.created += 1
        else:
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if changed:
                if any(k in VERSIONED_FIELDS for k in changed):
                    changed["version"] = row.version + 1
                for k, v in changed.items():
                    setattr(row, k, v)
                row.save()
                result.updated += 1
            else:
                result.unchanged += 1
        if isinstance(row, Entry):
            _set_links(row, entry, checked)
    if municipality is not None:
        for override in doc.overrides:
            department = checked.departments.get(override.department or "")
            Override.objects.update_or_create(
                municipality=municipality,
                entry=checked.shared[override.entry],
                defaults={"answer": override.answer, "department": department},
            )
            result.overrides += 1
    return result


def _set_links(row: Entry, entry: EntrySpec, checked: _Checked) -> None:
    procedures = [checked.procedures[k] for k in entry.procedures]
    resources = [checked.resources[k] for k in entry.resources]
    if {p.pk for p in row.procedures.all()} != {p.pk for p in procedures}:
        row.procedures.set(procedures)
    if {r.pk for r in row.resources.all()} != {r.pk for r in resources}:
        row.resources.set(resources)


def _write_categories(municipality: Municipality, doc: FaqFile) -> None:
    wanted = [(c.name, c.subcategories) for c in doc.categories]
    have = [
        (c.name, [s.name for s in c.children.all()])
        for c in Category.objects.for_municipality(municipality)
        .filter(parent=None)
        .prefetch_related("children")
    ]
    if not wanted or wanted == have:
        return
    Category.objects.for_municipality(municipality).filter(parent__isnull=False).delete()
    Category.objects.for_municipality(municipality).delete()
    for order, (name, subcategories) in enumerate(wanted):
        top = Category.objects.create(municipality=municipality, name=name, order=order)
        for sub_order, sub in enumerate(subcategories):
            Category.objects.create(municipality=municipality, name=sub, parent=top, order=sub_order)
