"""FAQ files: all-or-nothing import, every error with its line, sync by key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faq.conftest import TOWN_FILE
from yakusho.core.models import Consortium, Municipality
from yakusho.faq.files import FaqFileInvalid, import_text
from yakusho.faq.models import Category, Entry, Override, SharedEntry


def test_a_file_creates_entries_categories_and_links(town_faq: Municipality) -> None:
    entries = Entry.objects.for_municipality(town_faq)
    assert entries.count() == 7
    juminhyo = entries.get(key="juminhyo")
    assert juminhyo.department is not None and juminhyo.department.name == "町民課"
    assert [p.key for p in juminhyo.procedures.all()] == ["juminhyo-koufu"]
    assert juminhyo.phrasing_list() == ["住民票がほしい", "住民票 取り方"]
    assert juminhyo.is_demo and juminhyo.version == 1
    tops = Category.objects.for_municipality(town_faq).filter(parent=None)
    assert [c.name for c in tops] == ["住民票・印鑑・戸籍", "ごみ", "マイナンバーカード"]
    assert [c.name for c in tops[0].children.all()] == ["住民票", "印鑑登録", "戸籍"]


def test_loading_again_changes_nothing_and_a_new_answer_raises_the_version(town_faq: Municipality) -> None:
    again = import_text(TOWN_FILE.format(slug=town_faq.slug), "faqtown.yaml")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    changed = TOWN_FILE.format(slug=town_faq.slug).replace("手数料は1通300円です。", "手数料は1通350円です。")
    result = import_text(changed, "faqtown.yaml")
    assert (result.created, result.updated) == (0, 1)
    entry = Entry.objects.get(municipality=town_faq, key="juminhyo")
    assert "350円" in entry.answer and entry.version == 2


BAD = """\
municipality: {slug}
categories:
  - name: ごみ
    subcategories: [粗大ごみ]
entries:
  - key: a
    category: ごみ
    subcategory: 粗大ごみ
    question: 正しい質問
    answer: 正しい回答
  - key: a
    category: 税
    question: キーが重複し分類もない
    answer: 回答
    department: 住民課
    procedures: [no-such-procedure]
  - key: b
    category: ごみ
    subcategory: 家電
    question: 小分類がない
    answer: 回答
    valid_from: 2026-04-01
    valid_to: 2026-03-31
  - key: Not A Key
    category: ごみ
    question: ""
    answer: 回答
"""


def test_a_bad_file_is_refused_with_every_error_and_saves_nothing(town: Municipality) -> None:
    with pytest.raises(FaqFileInvalid) as refused:
        import_text(BAD.format(slug=town.slug), "bad.yaml")
    text = str(refused.value)
    # the structure is checked first: the key's pattern and the empty question, with their lines
    assert "bad.yaml:24 entries[3].key" in text
    assert "entries[3].question" in text
    assert Entry.objects.for_municipality(town).count() == 0
    fixed = BAD.replace(
        '  - key: Not A Key\n    category: ごみ\n    question: ""\n',
        "  - key: c\n    category: ごみ\n    question: 直した\n",
    )
    with pytest.raises(FaqFileInvalid) as refused:
        import_text(fixed.format(slug=town.slug), "bad.yaml")
    errors = {(e.line, e.path) for e in refused.value.errors}
    assert (11, "entries[1].key") in errors  # duplicate of entries[0]
    assert (12, "entries[1].category") in errors
    assert (15, "entries[1].department") in errors
    assert (16, "entries[1].procedures[0]") in errors
    assert (19, "entries[2].subcategory") in errors
    assert (23, "entries[2].valid_to") in errors
    assert "この団体にない課です（住民課）" in str(refused.value)
    assert Entry.objects.for_municipality(town).count() == 0
    assert Category.objects.for_municipality(town).count() == 0


@pytest.mark.parametrize(
    "text, fault",
    [
        ("entries: []\n", "municipality（団体）か consortium（広域連携）"),
        ("municipality: nowhere\n", "この団体はありません"),
        ("municipality: {slug}\nentries:\n  - key: x\n    question: q\n", "category"),
        ("municipality: {slug}\nentries: [1, 2\n", "YAMLとして読み取れません"),
        ("municipality: {slug}\nunknown: 1\n", "unknown"),
    ],
)
def test_broken_files_get_a_message(town: Municipality, text: str, fault: str) -> None:
    with pytest.raises(FaqFileInvalid) as refused:
        import_text(text.format(slug=town.slug), "x.yaml")
    assert fault in str(refused.value)


def test_shared_entries_and_a_members_own_answer(consortium: Consortium, town_faq: Municipality) -> None:
    shared = SharedEntry.objects.for_consortium(consortium).get(key="mynumber-koushin")
    local = f"""\
municipality: {town_faq.slug}
overrides:
  - entry: mynumber-koushin
    answer: 問答町では町民課（役場1階）で更新できます。平日8時30分から17時15分まで。
    department: 町民課
"""
    result = import_text(local, "faqtown-local.yaml")
    assert result.overrides == 1
    override = Override.objects.get(municipality=town_faq, entry=shared)
    assert override.department is not None and override.department.name == "町民課"
    assert SharedEntry.objects.get(pk=shared.pk).answer.startswith("カードの有効期限")  # not copied over


def test_a_consortium_file_takes_no_local_links(consortium: Consortium) -> None:
    text = (
        f"consortium: {consortium.slug}\nentries:\n"
        "  - key: x\n    category: 税\n    question: q\n    answer: a\n    department: 町民課\n"
    )
    with pytest.raises(FaqFileInvalid) as refused:
        import_text(text, "shared.yaml")
    assert "entries[0].department" in str(refused.value)


def test_an_override_of_an_entry_outside_the_municipalitys_consortia_is_refused(
    town_faq: Municipality, django_capture_on_commit_callbacks: Any
) -> None:
    text = f"municipality: {town_faq.slug}\noverrides:\n  - entry: nothing-shared\n    answer: a\n"
    with pytest.raises(FaqFileInvalid) as refused:
        import_text(text, "local.yaml")
    assert "overrides[0].entry" in str(refused.value)
