"""Forms of the staff FAQ pages: an entry, a local answer to a shared entry, a synonym group and the
import upload; and the rules an entry obeys, shared with the CSV/Excel import (``faq.tabular``) so
that a row of a file is checked exactly like the form.

The texts of an entry (question, phrasings, answer) are kept as typed — only line ends and outer
spaces are tidied — since NFKC would quietly change an answer's （全角） punctuation and raise its
version on every save. Keys, names of 課 and dates are normalised (全角 → 半角).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from yakusho.bookings.models import Resource
from yakusho.core.forms import SpreadsheetUploadForm, WarekiDateField
from yakusho.core.models import Department, Municipality, SynonymGroup
from yakusho.core.models.search import SEPARATORS
from yakusho.core.searchwords import shipped_synonyms
from yakusho.core.textsearch import normalize as search_form
from yakusho.core.validators import normalize_text
from yakusho.faq.models import Category, Entry, Override, Visibility
from yakusho.procedures.models import Procedure

# The limits of the FAQ file format (faq.schema), so that a form, a CSV row and a YAML file agree.
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_KEY = 60
MAX_NAME = 40
MAX_QUESTION = 200
MAX_PHRASING = 200
MAX_PHRASINGS = 20
MAX_ANSWER = 5000
MAX_LINKS = 20
#: the texts whose change raises an entry's version (the audit trail keeps each earlier text)
VERSIONED = ("question", "phrasings", "answer")

MAX_UPLOAD_BYTES = 2_000_000
MAX_UPLOAD_ROWS = 2_000

MAX_SYNONYM_WORD = 40


# --- the rules of an entry (form and import) -------------------------------------------------------


def tidy(value: str) -> str:
    """Line ends as ``\\n`` (browsers send ``\\r\\n``) and no outer spaces: the stored form of a text."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def phrasing_lines(value: str) -> list[str]:
    return [line.strip() for line in tidy(value).split("\n") if line.strip()]


def key_problem(key: str) -> str | None:
    if len(key) > MAX_KEY or not KEY_PATTERN.match(key):
        return _t("キーは半角の英小文字・数字・ハイフンで、%(n)s文字以内にしてください（%(key)s）。") % {
            "n": MAX_KEY,
            "key": key,
        }
    return None


def phrasings_problem(lines: list[str]) -> str | None:
    if len(lines) > MAX_PHRASINGS:
        return _t("ほかの聞き方は%(n)s行までにしてください（%(count)s行あります）。") % {
            "n": MAX_PHRASINGS,
            "count": len(lines),
        }
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_PHRASING:
            return _t("ほかの聞き方の%(line)s行目が長すぎます（%(n)s文字まで、%(count)s文字あります）。") % {
                "line": number,
                "n": MAX_PHRASING,
                "count": len(line),
            }
    return None


def too_long(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return _t("%(n)s文字以内にしてください（%(count)s文字あります）。") % {
            "n": limit,
            "count": len(value),
        }
    return None


def categories_of(municipality: Municipality) -> dict[str, list[str]]:
    """The municipality's categories with their sub-categories, in order (empty: any name goes)."""
    tops: dict[str, list[str]] = {}
    rows = Category.objects.for_municipality(municipality).select_related("parent").order_by("order", "pk")
    for c in rows:
        if c.parent_id is None:
            tops.setdefault(c.name, [])
    for c in rows:
        if c.parent is not None:
            tops.setdefault(c.parent.name, []).append(c.name)
    return tops


def category_problem(
    categories: dict[str, list[str]], category: str, subcategory: str
) -> tuple[str, str] | None:
    """(field, message) when the category or the sub-category is not the municipality's."""
    if not categories:
        return None
    if category not in categories:
        return "category", _t("この団体にない分類です（%(name)s）。") % {"name": category}
    if subcategory and subcategory not in categories[category]:
        return "subcategory", _t("分類「%(category)s」にない小分類です（%(name)s）。") % {
            "category": category,
            "name": subcategory,
        }
    return None


def period_problem(valid_from: date | None, valid_to: date | None) -> str | None:
    if valid_from and valid_to and valid_to < valid_from:
        return _t("掲載終了日が掲載開始日より前です。")
    return None


def derive_key(taken: Iterable[str]) -> str:
    """A key for a new entry left without one: ``faq-1``, ``faq-2`` … the first one free. (A
    Japanese question gives no readable ASCII, and a number is short in a URL.)"""
    used = set(taken)
    n = 1
    while f"faq-{n}" in used:
        n += 1
    return f"faq-{n}"


#: the plain fields of an entry that the form and the import write
FIELDS = (
    "key",
    "category",
    "subcategory",
    "question",
    "phrasings",
    "answer",
    "department_id",
    "visibility",
    "valid_from",
    "valid_to",
    "reviewed_on",
)


def _same(name: str, old: Any, new: Any) -> bool:
    if name == "phrasings":
        return phrasing_lines(old or "") == phrasing_lines(new or "")
    if name in ("question", "answer"):
        return tidy(old or "") == tidy(new or "")
    return bool(old == new)


def save_entry(
    entry: Entry, values: dict[str, Any], procedures: list[Procedure], resources: list[Resource]
) -> bool:
    """Write ``values`` (of :data:`FIELDS`) and the links onto ``entry`` — only what differs, so
    that a file or a form that changes nothing writes nothing — and raise the version when the
    question, the phrasings or the answer changed. Returns whether anything was written. The
    caller holds the transaction."""
    new = entry.pk is None
    changed = {name for name, value in values.items() if not _same(name, getattr(entry, name), value)}
    for name in changed:
        setattr(entry, name, values[name])
    if not new and changed & set(VERSIONED):
        entry.version += 1
    if new or changed:
        entry.save()
    links = False
    # a new entry has no links yet: no need to ask
    if procedures if new else {p.pk for p in entry.procedures.all()} != {p.pk for p in procedures}:
        entry.procedures.set(procedures)
        links = True
    if resources if new else {r.pk for r in entry.resources.all()} != {r.pk for r in resources}:
        entry.resources.set(resources)
        links = True
    return new or bool(changed) or links


# --- the entry form --------------------------------------------------------------------------------


def answer_text(value: str) -> str:
    """An answer as saved (entries and local answers alike), or the form's error."""
    answer = tidy(value)
    if not answer:
        raise forms.ValidationError(_("回答を入力してください。"), code="required")
    problem = too_long(answer, MAX_ANSWER)
    if problem:
        raise forms.ValidationError(problem, code="max_length")
    return answer


class _Choice(forms.ChoiceField):
    default_error_messages = {"invalid_choice": _("選択肢の中から選んでください（%(value)s）。")}


class EntryForm(forms.ModelForm):
    """A municipality's entry. 課 staff (``own``: their 課) choose among their own 課 only."""

    key = forms.CharField(
        label=_("キー"),
        required=False,
        max_length=MAX_KEY,
        help_text=_(
            "住民向けページのURLになります（半角の英小文字・数字・ハイフン）。"
            "新しい質問で空欄にすると自動で付けます。変えるとURLも変わります。"
        ),
    )
    valid_from = WarekiDateField(label=_("掲載開始日"), required=False, help_text=_("例：2026-04-01"))
    valid_to = WarekiDateField(label=_("掲載終了日"), required=False, help_text=_("例：2027-03-31"))
    reviewed_on = WarekiDateField(
        label=_("最終確認日"), required=False, help_text=_("内容が正しいことを最後に確かめた日")
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Entry
        fields = [
            "key",
            "question",
            "phrasings",
            "answer",
            "category",
            "subcategory",
            "department",
            "procedures",
            "resources",
            "visibility",
            "valid_from",
            "valid_to",
            "reviewed_on",
        ]
        widgets = {
            "phrasings": forms.Textarea(attrs={"rows": 4}),
            "answer": forms.Textarea(attrs={"rows": 10}),
            "procedures": forms.CheckboxSelectMultiple,
            "resources": forms.CheckboxSelectMultiple,
        }

    def __init__(
        self, *args: Any, municipality: Municipality, own: set[int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality
        # the values as stored: the form writes only what differs from them (see save)
        self.original = {name: getattr(self.instance, name) for name in FIELDS}
        self.categories = categories_of(municipality)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        self._setup_categories()
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        departments = Department.objects.for_municipality(municipality)
        if own is not None:
            department.queryset = departments.filter(pk__in=own)
            department.required = True
            department.help_text = _("担当している課の質問だけを作成・編集できます。")
        else:
            department.queryset = departments
            department.empty_label = _("（指定なし）")
        procedures = self.fields["procedures"]
        assert isinstance(procedures, forms.ModelMultipleChoiceField)
        procedures.queryset = Procedure.objects.for_municipality(municipality).order_by("name")
        procedures.help_text = _("この質問の答えになる手続")
        resources = self.fields["resources"]
        assert isinstance(resources, forms.ModelMultipleChoiceField)
        resources.queryset = Resource.objects.for_municipality(municipality).order_by("name")
        resources.help_text = _("この質問の答えになる予約（施設・窓口）")
        self.fields["phrasings"].help_text = _(
            "住民が使う言い方を1行に1つ（%(n)s行まで）。検索はこれも探します。"
        ) % {"n": MAX_PHRASINGS}
        self.fields["answer"].help_text = _("Markdownで書けます（%(n)s文字まで）。") % {"n": MAX_ANSWER}

    def _setup_categories(self) -> None:
        """Categories as choices when the municipality has them (the guided mode's tree); the
        entry's own value stays a choice even if the tree no longer has it."""
        if not self.categories:
            return
        current = self.instance.category if self.instance.pk else ""
        tops = list(self.categories)
        if current and current not in tops:
            tops.append(current)
        self.fields["category"] = _Choice(
            label=_("分類"), choices=[("", "---------"), *[(n, n) for n in tops]]
        )
        groups: list[tuple[str, Any]] = [("", _("（なし）"))]
        for top, subs in self.categories.items():
            if subs:
                groups.append((top, [(s, s) for s in subs]))
        sub = self.instance.subcategory if self.instance.pk else ""
        if sub and not any(sub in subs for subs in self.categories.values()):
            groups.append((sub, sub))
        self.fields["subcategory"] = _Choice(
            label=_("小分類"), choices=groups, required=False, help_text=_("選んだ分類の中の小分類")
        )

    def clean_key(self) -> str:
        key = normalize_text(self.cleaned_data.get("key") or "").lower()
        if not key:
            if self.instance.pk:
                raise forms.ValidationError(_("キーを入力してください。"), code="required")
            return ""
        problem = key_problem(key)
        if problem:
            raise forms.ValidationError(problem, code="invalid")
        clash = Entry.objects.for_municipality(self.municipality).filter(key=key)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("キー「%(key)s」はすでにほかの質問が使っています。"), code="unique", params={"key": key}
            )
        return key

    def clean_question(self) -> str:
        return tidy(self.cleaned_data["question"])

    def clean_phrasings(self) -> str:
        lines = phrasing_lines(self.cleaned_data.get("phrasings") or "")
        problem = phrasings_problem(lines)
        if problem:
            raise forms.ValidationError(problem, code="invalid")
        return "\n".join(lines)

    def clean_answer(self) -> str:
        return answer_text(self.cleaned_data["answer"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = category_problem(
            self.categories, data.get("category") or "", (data.get("subcategory") or "").strip()
        )
        if problem and problem[0] not in self.errors:
            self.add_error(problem[0], problem[1])
        if "valid_to" not in self.errors:
            period = period_problem(data.get("valid_from"), data.get("valid_to"))
            if period:
                self.add_error("valid_to", period)
        if len(data.get("procedures") or ()) > MAX_LINKS:
            self.add_error("procedures", _("手続は%(n)s件まで選べます。") % {"n": MAX_LINKS})
        if len(data.get("resources") or ()) > MAX_LINKS:
            self.add_error("resources", _("予約は%(n)s件まで選べます。") % {"n": MAX_LINKS})
        return data

    def stale(self) -> bool:
        """Was the entry saved by someone else since this form was opened?"""
        expected = self.cleaned_data.get("expected_version")
        return bool(self.instance.pk) and expected is not None and expected != self.instance.version

    def save(self, commit: bool = True) -> Entry:
        """Save through :func:`save_entry` (the version rule); the caller holds the transaction.
        Validation has already copied the new values onto the instance: they are compared with
        the stored ones kept when the form was made."""
        entry = self.instance
        data = self.cleaned_data
        department = data.get("department")
        values = {
            "key": data.get("key") or "",
            "category": data.get("category") or "",
            "subcategory": data.get("subcategory") or "",
            "question": data["question"],
            "phrasings": data.get("phrasings") or "",
            "answer": data["answer"],
            "department_id": department.pk if department else None,
            "visibility": data.get("visibility") or Visibility.PUBLIC,
            "valid_from": data.get("valid_from"),
            "valid_to": data.get("valid_to"),
            "reviewed_on": data.get("reviewed_on"),
        }
        if not values["key"]:
            values["key"] = derive_key(
                Entry.objects.for_municipality(self.municipality)
                .filter(key__startswith="faq-")
                .values_list("key", flat=True)
            )
        for name, value in self.original.items():
            setattr(entry, name, value)
        save_entry(entry, values, list(data.get("procedures") or ()), list(data.get("resources") or ()))
        return entry


# --- a member's own answer to a shared entry --------------------------------------------------------


class OverrideForm(forms.ModelForm):
    class Meta:
        model = Override
        fields = ["answer", "department"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 10})}

    def __init__(
        self, *args: Any, municipality: Municipality, own: set[int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance.municipality = municipality
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        departments: QuerySet[Department] = Department.objects.for_municipality(municipality)
        if own is not None:
            department.queryset = departments.filter(pk__in=own)
            department.required = True
        else:
            department.queryset = departments
            department.empty_label = _("（指定なし）")
        self.fields["answer"].help_text = _(
            "この団体の窓口・受付時間・電話番号・手数料などを書いた回答（Markdown、%(n)s文字まで）。"
        ) % {"n": MAX_ANSWER}

    def clean_answer(self) -> str:
        return answer_text(self.cleaned_data["answer"])


# --- synonyms ----------------------------------------------------------------------------------------


class SynonymGroupForm(forms.ModelForm):
    """Two distinct words or more (distinct as the search sees them: マイナ and まいな are one),
    each short, and not the same group as one the municipality or Yakusho already has."""

    class Meta:
        model = SynonymGroup
        fields = ["words", "note"]
        widgets = {"words": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality

    def clean_words(self) -> str:
        words: list[str] = []
        for raw in SEPARATORS.split(normalize_text(self.cleaned_data["words"])):
            word = raw.strip()
            if word and word not in words:
                words.append(word)
        errors = [
            _t("「%(word)s」が長すぎます（1語%(n)s文字まで）。") % {"word": w[:20], "n": MAX_SYNONYM_WORD}
            for w in words
            if len(w) > MAX_SYNONYM_WORD
        ]
        errors += [
            _t("「%(word)s」は検索に使えない言葉です。") % {"word": w} for w in words if not search_form(w)
        ]
        if errors:
            raise forms.ValidationError(errors)
        forms_seen = {search_form(w) for w in words}
        if len(forms_seen) < 2:
            raise forms.ValidationError(
                _("同じ意味の言葉を、読点（、）かカンマで区切って2語以上入力してください。"), code="too_few"
            )
        existing = SynonymGroup.objects.for_municipality(self.municipality)
        if self.instance.pk:
            existing = existing.exclude(pk=self.instance.pk)
        for group in existing:
            if {search_form(w) for w in group.word_list()} == forms_seen:
                raise forms.ValidationError(
                    _("同じ言葉の組がすでにあります（%(group)s）。"),
                    code="duplicate",
                    params={"group": group},
                )
        for shipped in shipped_synonyms():
            if {search_form(w) for w in shipped} == forms_seen:
                raise forms.ValidationError(
                    _("同じ言葉の組が標準の同義語にすでにあります。"), code="duplicate"
                )
        joined = "、".join(words)
        if len(joined) > 500:
            raise forms.ValidationError(_("1つの組は500文字までにしてください。"), code="max_length")
        return joined


# --- the import upload -------------------------------------------------------------------------------


class ImportForm(SpreadsheetUploadForm):
    suffixes = (".csv", ".xlsx")
    max_bytes = MAX_UPLOAD_BYTES
    wrong_kind = _("拡張子が .csv か .xlsx のファイルを選んでください。")
    file = forms.FileField(
        label=_("ファイル（CSV または Excel）"),
        allow_empty_file=True,
        help_text=_("書き出したファイルと同じ列のもの（2MB・2,000行まで）。"),
    )
