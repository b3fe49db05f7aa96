"""The progress report's PDF as a tagged PDF (PDF/UA-1, issue 16): its structure tree, language,
title, embedded Japanese font, a notice and a page number on every page, and nothing fetched while
it is made. Its text against the report is in ``test_report.py``."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from tests.factories import MunicipalityFactory
from tests.plans.test_report import KPIS, NODES, YEAR, _fill, _finalise, _make_plan
from yakusho.plans.models import ReviewCycle
from yakusho.plans.report import build as report
from yakusho.plans.report.exports import PDF_STYLESHEET, _pdf_html, report_pdf
from yakusho.plans.review.services import open_cycle

pytestmark = [pytest.mark.django_db, pytest.mark.pdf]


@pytest.fixture
def cycle() -> ReviewCycle:
    edition, _nodes = _make_plan(MunicipalityFactory(slug="report-town", name="報告町"))
    made = open_cycle(edition, YEAR, date(2025, 5, 30))
    _fill(made)
    return made


def _public_pdf(cycle: ReviewCycle, client: Client) -> PdfReader:
    _finalise(cycle)
    url = reverse("plans:report_download", args=[cycle.municipality.slug, "dx", cycle.fiscal_year, "pdf"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _elements(node: Any) -> Iterator[DictionaryObject]:
    """Every structure element under ``node`` (depth first); marked-content ids are skipped."""
    node = _resolve(node)
    if isinstance(node, ArrayObject):
        for kid in node:
            yield from _elements(kid)
    elif isinstance(node, DictionaryObject) and "/S" in node:
        yield node
        if "/K" in node:
            yield from _elements(node["/K"])


class MarkedText:
    """The text of each marked-content sequence of a PDF, by page and MCID (read once per page)."""

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.pages: dict[int, dict[int, str]] = {}

    def _page(self, page_ref: IndirectObject) -> dict[int, str]:
        number = page_ref.idnum
        if number not in self.pages:
            page = next(
                p for p in self.reader.pages if p.indirect_reference and p.indirect_reference.idnum == number
            )
            texts: dict[int, str] = {}
            current: list[int | None] = [None]

            def visit(text: str, _cm: Any, _tm: Any, _font: Any, _size: Any) -> None:
                if current[-1] is not None:
                    texts[current[-1]] = texts.get(current[-1], "") + text

            # pypdf hands every operator to this visitor: follow BDC (with an MCID) … EMC.
            def before(operator: bytes, operands: Any, _cm: Any, _tm: Any) -> None:
                if operator == b"BDC":
                    props = operands[1] if len(operands) > 1 else {}
                    mcid = props.get("/MCID") if isinstance(props, dict) else None
                    current.append(int(mcid) if mcid is not None else current[-1])
                elif operator == b"BMC":
                    current.append(current[-1])
                elif operator == b"EMC" and len(current) > 1:
                    current.pop()

            page.extract_text(visitor_operand_before=before, visitor_text=visit)
            self.pages[number] = texts
        return self.pages[number]

    def of(self, element: DictionaryObject) -> str:
        """The text under a structure element, in the order of its marked-content ids."""
        parts = []
        for e in [element, *_elements(element.get("/K", ArrayObject()))]:
            kids = _resolve(e.get("/K", ArrayObject()))
            for kid in kids if isinstance(kids, ArrayObject) else [kids]:
                if isinstance(kid, int):
                    parts.append(self._page(e.raw_get("/Pg")).get(int(kid), ""))
        return "".join(parts).replace("\n", "").strip()


def test_the_pdf_is_tagged_with_language_title_and_structure(cycle: ReviewCycle, client: Client) -> None:
    reader = _public_pdf(cycle, client)
    catalog: Any = reader.root_object
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "ja"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    title = "報告町DX推進計画 令和6年度 進捗状況報告書"
    assert reader.metadata is not None and reader.metadata.title == title
    assert reader.metadata.author == "報告町"
    xmp = _resolve(catalog["/Metadata"]).get_data().decode()
    assert "pdfuaid:part" in xmp and re.search(r"pdfuaid:part(>|=\")1", xmp)

    root = _resolve(catalog["/StructTreeRoot"])
    assert root["/Type"] == "/StructTreeRoot" and "/ParentTree" in root
    elements = list(_elements(root["/K"]))
    tags = Counter(str(e["/S"]) for e in elements)
    assert tags["/Document"] == 1 and tags["/H1"] == 1
    assert tags["/H2"] == 3 and tags["/H3"] == 3  # 概要, 項目別評価, KPI; one heading per chart
    assert tags["/Table"] == 6  # the facts, three charts' figures, the items, the KPIs
    assert tags["/TH"] and tags["/TD"] and tags["/TR"] and tags["/THead"] and tags["/TBody"]

    text = MarkedText(reader)
    assert [text.of(e) for e in elements if e["/S"] == "/H1"] == [title]
    assert [text.of(e) for e in elements if e["/S"] == "/H2"] == ["概要", "項目別評価", "KPI"]
    assert [text.of(e) for e in elements if e["/S"] == "/H3"] == [
        "進捗状況別の項目数",
        "評価別の項目数",
        "KPIの達成状況",
    ]

    # The charts are figures with a text alternative that gives every bar's figure.
    figures = [e for e in elements if e["/S"] == "/Figure"]
    assert len(figures) == 3
    alt = str(figures[0]["/Alt"])
    assert alt.startswith("進捗状況別の項目数") and "実施中 3件" in alt

    # Every data cell names its header cells (the column's, and the row's where a th has scope="row").
    headers = {str(e["/ID"]) for e in elements if e["/S"] == "/TH"}
    cells = [e for e in elements if e["/S"] == "/TD"]
    assert cells and all(
        _resolve(c["/A"])["/Headers"] and {str(h) for h in _resolve(c["/A"])["/Headers"]} <= headers
        for c in cells
    )
    row_headers = [text.of(e) for e in elements if e["/S"] == "/TH"]
    assert "研修の受講者数（件）" in row_headers and "団体" in row_headers  # rows have their headers
    assert row_headers.count("番号・名称") >= 1 and row_headers.count("件数") == 3


def test_the_japanese_font_is_embedded(cycle: ReviewCycle, client: Client) -> None:
    reader = _public_pdf(cycle, client)
    fonts: dict[str, DictionaryObject] = {}
    for page in reader.pages:
        for font in _resolve(page["/Resources"]).get("/Font", DictionaryObject()).values():
            font = _resolve(font)
            for descendant in font.get("/DescendantFonts", [font]):
                descendant = _resolve(descendant)
                fonts[str(descendant["/BaseFont"])] = descendant
    assert fonts and all(re.search(r"Noto-?Sans-?CJK-?JP", name) for name in fonts), list(fonts)
    for name, font in fonts.items():
        descriptor = _resolve(font["/FontDescriptor"])
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, f"{name} is not embedded"
    # Subsets only (a tag like ABCDEF+ before the name): the file stays small.
    assert all(re.match(r"^/[A-Z]{6}\+", name) for name in fonts), list(fonts)


def test_every_page_has_the_notices_title_and_number(cycle: ReviewCycle, client: Client) -> None:
    ReviewCycle.objects.filter(pk=cycle.pk).update(demo=True)
    reader = _public_pdf(cycle, client)
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3  # summary, items, KPIs
    for number, text in enumerate(pages, start=1):
        assert "デモデータ" in text and "団体が公表したものではありません" in text
        assert f"進捗状況報告書　{number} / {len(pages)}" in text
        assert "未確定" not in text
    everything = "".join(pages)
    for key in NODES:
        assert f"項目{key}の取組" in everything
    for name in KPIS:
        assert name in everything


class _Fetching(HTMLParser):
    """Collects the elements and attributes of an HTML document that would make a renderer fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("link", "script", "img", "object", "iframe", "image", "use", "base"):
            self.found.append(tag)
        self.found += [f"{tag}[{name}]" for name, _value in attrs if name in ("src", "href", "xlink:href")]


def test_nothing_is_fetched_nor_ignored(cycle: ReviewCycle, caplog: pytest.LogCaptureFixture) -> None:
    """No stylesheet link, image, font or script URL in the page or its stylesheet, even when a
    title from a plan file tries to put one in."""
    ReviewCycle.objects.filter(pk=cycle.pk).update(demo=True)
    edition = cycle.edition
    edition.title = '報告町<img src="http://example.invalid/x.png">計画'
    edition.save()
    cycle.refresh_from_db()
    built = report.build(cycle)
    html = _pdf_html(built)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ja">' in html
    fetching = _Fetching()
    fetching.feed(html)
    assert fetching.found == [] and "url(" not in html and "<style" not in html
    stylesheet = render_to_string(PDF_STYLESHEET)
    assert "@page" in stylesheet and "url(" not in stylesheet and "@import" not in stylesheet
    assert '<th scope="col">番号・名称</th>' in html and '<th scope="row">団体</th>' in html
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        assert report_pdf(built).startswith(b"%PDF-1.7")
    # WeasyPrint logs what it could not honour: a property it ignores, a figure without alternative
    # text, a missing lang, a refused fetch. None of that here.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
