"""Fixtures and builders for the submission tests: 大江町's 犬の登録申請 (3 pages, an upload)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from yakusho.core.models import Role
from yakusho.procedures.catalogue.services import add_form_definition

FORMS = Path(__file__).resolve().parents[2] / "data" / "forms"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def form_data(name: str) -> dict[str, Any]:
    return json.loads((FORMS / name).read_text("utf-8"))


def png(name: str = "cert.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def town(db, private_media):
    """A town with two 課, the dog registration (online) and staff of every role."""
    town = MunicipalityFactory(slug="oe-test", name="試験町")
    health = DepartmentFactory(municipality=town, name="健康福祉課", email="kenko@town.example.jp")
    other = DepartmentFactory(municipality=town, name="総務課")
    dog = make_procedure(
        town,
        health,
        "inu-toroku",
        "犬の登録申請",
        channels=(("yakusho", "available"), ("counter", "available")),
        processing_days=5,
        retention_years=1,
    )
    add_form_definition(dog, form_data("oe--inu-toroku.json"))
    staff = {}
    for role in ("admin", "secretariat", "department", "counter", "hq"):
        membership = MembershipFactory(municipality=town, role=role)
        if role == Role.DEPARTMENT:
            membership.departments.set([health])
        staff[role] = membership
    outsider = MembershipFactory(municipality=town, role=Role.DEPARTMENT)
    outsider.departments.set([other])
    staff["other_department"] = outsider
    return {"town": town, "health": health, "other": other, "dog": dog, "staff": staff}


PAGE1 = {
    "owner-family_name": "大江",
    "owner-given_name": "花子",
    "owner-family_kana": "オオエ",
    "owner-given_kana": "ハナコ",
    "owner-postal_code": "９９０－１１０１",
    "owner-address": "山形県西村山郡大江町大字左沢882-1",
    "owner-building": "",
    "owner-birth_date": "昭和50年4月1日",
    "phone": "0237-62-2111",
    "email": "hanako@example.jp",
}
PAGE2 = {
    "dog_name": "ポチ",
    "breed": "柴犬",
    "coat": "茶",
    "dog_sex": "male",
    "dog_birth": "",
    "acquired_on": "R7.4.1",
    "microchip": "",
}
PAGE3 = {"vaccinated": "yes", "vaccinated_on": "R7.4.10", "clinic": "左沢動物病院", "confirm": "on"}


def apply_url(town: Any, key: str = "inu-toroku") -> str:
    return reverse("procedures:apply", args=[town.slug, key])


def page_url(town: Any, number: int, key: str = "inu-toroku") -> str:
    return reverse("submissions:page", args=[town.slug, key, number])


def check_url(town: Any, key: str = "inu-toroku") -> str:
    return reverse("submissions:check", args=[town.slug, key])


def hidden(response: Any, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert m, f"no hidden {name}"
    return m[1]


def fill_in(client: Client, town: Any, *, page3: dict[str, Any] | None = None) -> str:
    """Agree, fill the three pages; returns the submission token (at the check page)."""
    response = client.post(apply_url(town), {"agree": "yes"})
    assert response.status_code == 302, response.content[:500]
    response = client.get(page_url(town, 1))
    token = hidden(response, "_token")
    version = hidden(response, "_version")
    common = {"_token": token, "_version": version}
    response = client.post(page_url(town, 1), {**PAGE1, **common})
    assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post(page_url(town, 2), {**PAGE2, **common})
    assert response.status_code == 302, response.content.decode()[:3000]
    data = dict(PAGE3 if page3 is None else page3)
    if data.get("vaccinated") == "yes" and "certificate" not in data:
        data["certificate"] = png()
    response = client.post(page_url(town, 3), {**data, **common})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == check_url(town)
    return token


def make_submission(procedure: Any, token: str = "", **answers: Any) -> Any:
    """A submission of the dog registration stored through the service (no files)."""
    import secrets as _secrets

    from yakusho.procedures.catalogue.services import current_forms, definition_of
    from yakusho.procedures.submissions.services import create_submission

    form = current_forms([procedure])[procedure.pk]
    definition = definition_of(form)
    raw = {**PAGE1, **PAGE2, "vaccinated": "no", "confirm": "on", **answers}
    result = definition.validate(raw, {})
    assert result.ok, result.errors
    return create_submission(
        procedure=procedure,
        form=form,
        definition=definition,
        cleaned=result.cleaned,
        temp_files={},
        idempotency_key=token or _secrets.token_urlsafe(16),
    )
