"""Staff pages: upload of a new form version (engine-validated, Japanese errors, nothing on error)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.helpers import make_procedure, minimal_form
from yakusho.core.models import Role
from yakusho.procedures.catalogue.services import FormDefinitionInvalid, add_form_definition
from yakusho.procedures.models import FormDefinition


@pytest.fixture
def world(db, staff_of):
    town = MunicipalityFactory(slug="here")
    own = DepartmentFactory(municipality=town, name="町民課")
    other = DepartmentFactory(municipality=town, name="建設課")
    procedure = make_procedure(town, own, "sodai", "粗大ごみ収集の申込")
    users = {}
    for name, role, depts in (
        ("admin", Role.ADMIN, []),
        ("mine", Role.DEPARTMENT, [own]),
        ("theirs", Role.DEPARTMENT, [other]),
        ("counter", Role.COUNTER, []),
    ):
        users[name] = staff_of(town, role, depts).user
    return town, procedure, users


def upload(client: Client, procedure, content: bytes, name: str = "form.json"):
    url = reverse("procedures_staff:form_upload", args=["here", procedure.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type="application/json")})


def test_department_staff_of_the_procedure_upload_a_version(world, client: Client) -> None:
    _town, procedure, users = world
    login_verified(client, users["mine"])
    response = upload(client, procedure, json.dumps(minimal_form("sodai")).encode())
    assert response.status_code == 302
    stored = FormDefinition.objects.get(procedure=procedure)
    assert (stored.version, stored.created_by) == (1, users["mine"])
    detail = client.get(reverse("procedures_staff:detail", args=["here", procedure.pk])).content.decode()
    assert "第1版" in detail and "（現在の版）" in detail


@pytest.mark.parametrize("who", ["theirs", "counter"])
def test_others_may_not_upload(world, client: Client, who: str) -> None:
    _town, procedure, users = world
    login_verified(client, users[who])
    assert upload(client, procedure, json.dumps(minimal_form("sodai")).encode()).status_code == 403
    assert not FormDefinition.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "JSONとして読み取れません"),
        ("\ufeff".encode() + json.dumps(minimal_form("other")).encode(), "$.key"),
        (json.dumps({**minimal_form("sodai"), "pages": []}).encode(), "$.pages"),
        (json.dumps(minimal_form("sodai", version=0)).encode(), "$.version"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_bad_definitions_are_refused_with_the_json_path(
    world, client: Client, content: bytes, message: str
) -> None:
    _town, procedure, users = world
    login_verified(client, users["admin"])
    response = upload(client, procedure, content)
    assert response.status_code == 200
    html = response.content.decode()
    assert "フォーム定義に誤りがあります" in html
    assert message in html
    assert not FormDefinition.objects.exists()


def test_a_fault_names_the_line_of_the_uploaded_file(world, client: Client) -> None:
    _town, procedure, users = world
    login_verified(client, users["admin"])
    text = json.dumps(minimal_form("sodai"), ensure_ascii=False, indent=2).replace(
        '"version": 1', '"version": "one"'
    )
    line = next(n for n, row in enumerate(text.splitlines(), 1) if '"version"' in row)
    html = upload(client, procedure, text.encode()).content.decode()
    assert f"{line}行目 <code>$.version</code>：整数で書いてください" in html
    assert not FormDefinition.objects.exists()


def test_not_a_json_file_is_refused(world, client: Client) -> None:
    _town, procedure, users = world
    login_verified(client, users["admin"])
    response = upload(client, procedure, b"{}", name="form.txt")
    assert "拡張子が .json のファイル" in response.content.decode()


def test_versions_only_go_up(world) -> None:
    _town, procedure, _users = world
    add_form_definition(procedure, minimal_form("sodai", version=2))
    with pytest.raises(FormDefinitionInvalid) as caught:
        add_form_definition(procedure, minimal_form("sodai", version=2, title="変更"))
    assert caught.value.problems[0].path == "$.version"
    add_form_definition(procedure, minimal_form("sodai", version=3))
    assert list(FormDefinition.objects.values_list("version", flat=True)) == [3, 2]


def test_staff_list_filters_by_department(world, client: Client) -> None:
    town, procedure, users = world
    other = procedure.department.__class__.objects.get(municipality=town, name="建設課")
    make_procedure(town, other, "douro", "道路占用許可申請")
    login_verified(client, users["counter"])
    url = reverse("procedures_staff:list", args=["here"])
    html = client.get(url, {"department": other.pk}).content.decode()
    assert "道路占用許可申請" in html and "粗大ごみ収集の申込" not in html
