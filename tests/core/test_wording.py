"""Words that follow the municipality (issue 20): 町内/市内/村内, 町長/市長, phone examples in the
municipality's own 市外局番 — never a fixed 市 in a 町, nor another town's area code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.bookings.helpers import next_weekday, slot_at
from tests.factories import DepartmentFactory, MunicipalityFactory
from yakusho.bookings.forms import ContactForm, ResourceForm
from yakusho.bookings.models import Audience, Resource, audience_label
from yakusho.core import wording
from yakusho.core.forms import DepartmentForm
from yakusho.core.models import Department, Municipality
from yakusho.procedures.models import ChannelKind, ChannelStatus, LifeEvent, Procedure

FORMS = Path(__file__).resolve().parents[2] / "data" / "forms"
#: the 市外局番 of each demo municipality (src/yakusho/core/demo/municipalities.yaml)
AREA_CODES = {"oe": "0237", "misato": "0187", "katagami": "018", "itako": "0299", "murakami": "0254"}
#: a fixed-line number as examples write it (mobile, IP and free-dial numbers are no area's)
FIXED_LINE = re.compile(r"(?<![0-9-])(0[1-9][0-9]{0,3})-[0-9]{1,4}-[0-9]{4}(?![0-9])")
NOT_AREA = ("050", "070", "080", "090", "0120", "0570", "0800", "020")


# --- the helper ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "words"),
    [
        ("city", "試験市", ("市", "市内", "市外", "市長", "市民", "市役所")),
        ("town", "試験町", ("町", "町内", "町外", "町長", "町民", "町役場")),
        ("village", "試験村", ("村", "村内", "村外", "村長", "村民", "村役場")),
        ("city", "試験区", ("区", "区内", "区外", "区長", "区民", "区役所")),  # a 特別区 by its name
        ("bogus", "試験", ("市町村", "市町村内", "市町村外", "市町村長", "住民", "役所・役場")),
    ],
)
def test_words_follow_the_kind(db, kind: str, name: str, words: tuple[str, ...]) -> None:
    m = MunicipalityFactory.build(kind=kind, name=name)
    got = tuple(wording.municipality_word(m, s) for s in ("", "内", "外", "長", "民", "役所"))
    assert got == words
    assert wording.area_word(m) == words[1] and wording.head_title(m) == words[3]


def test_unknown_suffix_and_no_municipality(db) -> None:
    with pytest.raises(ValueError, match="no municipality word"):
        wording.municipality_word(MunicipalityFactory.build(), "県")
    assert wording.area_word(None) == "市町村内"
    assert wording.area_code(None) == "" and wording.phone_examples(None) == "090-1234-5678"
    assert wording.full_name(MunicipalityFactory.build(prefecture="山形県", name="大江町")) == "山形県大江町"


@pytest.mark.parametrize(
    ("phone", "code", "example"),
    [
        ("0237-62-2111", "0237", "0237-12-3456"),
        ("018-866-1111", "018", "018-123-4567"),
        ("03-3581-1111", "03", "03-1234-5678"),
        ("01456-2-1111", "01456", "01456-1-2345"),
        ("０１８７ー８４ー１１１１", "0187", "0187-12-3456"),  # full-width, as a form may keep it
    ],
)
def test_area_code_from_the_main_phone(db, phone: str, code: str, example: str) -> None:
    m = MunicipalityFactory(phone=phone)
    DepartmentFactory(municipality=m, phone="0299-00-1001")  # the main phone comes first
    assert wording.area_code(m) == code
    assert wording.phone_example(m) == example
    assert wording.phone_examples(m) == f"{example}、090-1234-5678"


def test_area_code_from_the_departments_when_the_main_phone_says_none(db) -> None:
    m = MunicipalityFactory(phone="0120-123-456")  # free dial: no area
    assert wording.area_code(m) == ""
    assert wording.phone_example(m) == "" and wording.phone_examples(m) == "090-1234-5678"
    DepartmentFactory(municipality=m, phone="090-1111-2222")  # a mobile: no area
    DepartmentFactory(municipality=m, phone="0237622111")  # no grouping: the code cannot be told
    assert wording.area_code(m) == ""
    DepartmentFactory(municipality=m, phone="0187-00-1001")
    DepartmentFactory(municipality=m, phone="018-000-1002")
    DepartmentFactory(municipality=m, phone="018-000-1003")
    assert wording.area_code(m) == "018"  # the most common


def test_filters(db) -> None:
    m = MunicipalityFactory(kind="village", name="試験村", phone="0254-62-1111")
    html = Template(
        "{{ m|area_word }}|{{ m|head_title }}|{{ m|municipality_word:'民' }}|"
        "{{ m|municipality_word:'県' }}|{{ m|phone_examples }}"
    ).render(Context({"m": m}))
    assert html == "村内|村長|村民||0254-12-3456、090-1234-5678"


# --- the demo ---------------------------------------------------------------------------------------


def test_demo_area_codes_come_from_the_departments(demo) -> None:
    for slug, code in AREA_CODES.items():
        m = Municipality.objects.get(slug=slug)
        assert wording.area_code(m) == code, slug
        assert wording.phone_example(m).startswith(code + "-1")


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def test_every_demo_forms_phone_example_uses_its_towns_area_code(demo) -> None:
    codes = {m.slug: wording.area_code(m) for m in Municipality.objects.all()}
    checked: dict[str, int] = {}
    for path in sorted(FORMS.glob("*.json")):
        slug = path.name.split("--")[0]
        assert codes.get(slug), f"{path.name}: no area code known for {slug}"
        for text in _strings(json.loads(path.read_text("utf-8"))):
            for match in FIXED_LINE.finditer(text):
                if match[1].startswith(NOT_AREA):
                    continue
                assert match[1] == codes[slug], f"{path.name}: {match[0]} is not in {codes[slug]}"
                checked[slug] = checked.get(slug, 0) + 1
    # every town with forms was checked (the walk found their examples)
    assert set(checked) == {"oe", "misato", "itako"}, checked


def test_a_towns_public_pages_never_say_shinai(demo_with_plans, client: Client) -> None:
    """大江町 (a 町): its main public pages say 町内, never 「町内・市内」 or 市内, and its phone
    examples are in 0237."""
    oe = Municipality.objects.get(slug="oe")
    urls = [
        reverse("public:municipality", args=[oe.slug]),
        reverse("procedures:catalogue", args=[oe.slug]),
        reverse("bookings:list", args=[oe.slug]),
        *(reverse("procedures:life_event", args=[oe.slug, e.value]) for e in LifeEvent),
        *(
            reverse("procedures:detail", args=[oe.slug, p.key])
            for p in Procedure.objects.filter(municipality=oe)
        ),
        *(
            reverse("bookings:resource", args=[oe.slug, r.key])
            for r in Resource.objects.filter(municipality=oe)
        ),
    ]
    online = Procedure.objects.filter(
        municipality=oe, channels__kind=ChannelKind.YAKUSHO, channels__status=ChannelStatus.AVAILABLE
    ).distinct()
    assert online.exists()
    resource = Resource.objects.get(municipality=oe, audience=Audience.RESIDENTS)
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    book = reverse("bookings:book", args=[oe.slug, resource.key, day.isoformat(), "1000"])
    urls.append(book)
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    for procedure in online:  # the privacy notice, then the form's first page
        url = reverse("procedures:apply", args=[oe.slug, procedure.key])
        pages[url] = client.get(url).content.decode()
        response = client.post(url, {"agree": "yes"}, follow=True)
        assert response.status_code == 200, url
        pages[url + "#first"] = response.content.decode()
    for url, page in pages.items():
        assert "町内・市内" not in page, url
        assert "市内" not in page, url
        assert "0182" not in page, url
    on_resource = pages[reverse("bookings:resource", args=[oe.slug, resource.key])]
    assert "町内に住所・勤務先・通学先がある方" in on_resource
    assert "例：0237-12-3456、090-1234-5678" in pages[book]
    assert any("例：0237-" in page for url, page in pages.items() if "/apply/" in url)


def test_a_citys_pages_say_shinai(demo_with_plans, client: Client) -> None:
    itako = Municipality.objects.get(slug="itako")
    resource = Resource.objects.get(municipality=itako, audience=Audience.RESIDENTS)
    page = client.get(reverse("bookings:resource", args=[itako.slug, resource.key])).content.decode()
    assert "市内に住所・勤務先・通学先がある方" in page and "町内" not in page
    assert "例：0299-12-3456、090-1234-5678" in str(ContactForm(resource=resource).fields["phone"].help_text)
    misato_form = ContactForm(resource=Resource.objects.filter(municipality__slug="misato")[0])
    assert "0187-12-3456" in str(misato_form.fields["phone"].help_text)


def test_staff_forms_use_the_municipalitys_words(demo) -> None:
    oe = Municipality.objects.get(slug="oe")
    form = ResourceForm(municipality=oe, departments=Department.objects.for_municipality(oe))
    choices = dict(form.fields["audience"].choices)  # type: ignore[attr-defined]
    assert choices[Audience.RESIDENTS] == "町内に住所・勤務先・通学先がある方"
    assert audience_label(Audience.RESIDENTS, MunicipalityFactory.build(kind="village")) == (
        "村内に住所・勤務先・通学先がある方"
    )
    assert audience_label(Audience.ANYONE, oe) == "どなたでも" and audience_label("nobody", oe) == "nobody"
    bad = DepartmentForm(data={"name": "試験課", "phone": "12345", "order": 0}, municipality=oe)
    assert bad.errors["phone"] == ["電話番号は市外局番から、0237-12-3456 のように入力してください。"]
    unknown = MunicipalityFactory()
    bad = DepartmentForm(data={"name": "試験課", "phone": "12345", "order": 0}, municipality=unknown)
    assert bad.errors["phone"] == ["電話番号は市外局番から、10桁（携帯電話は11桁）で入力してください。"]
