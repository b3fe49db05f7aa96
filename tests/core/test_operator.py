"""The system operator's pages: lists, adding municipalities and consortia, suspending and resuming
(each audited with the operator as actor), who may open them, and the createoperator command."""

from __future__ import annotations

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory, MunicipalityFactory, UserFactory
from tests.helpers import login_verified
from yakusho.core import audit, suspension
from yakusho.core.models import Consortium, Municipality, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> User:
    user = UserFactory(display_name="運用 太郎")
    user.is_operator = True
    user.save()
    return user


@pytest.fixture
def op_client(client: Client, operator: User) -> Client:
    login_verified(client, operator)
    return client


def _errors(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {k: [str(m) for m in v] for k, v in form.errors.items()}


def test_the_lists_show_every_municipality_and_consortium_in_words(op_client: Client) -> None:
    town = MunicipalityFactory(name="甲町")
    other = MunicipalityFactory(name="乙村", kind="village")
    MembershipFactory(municipality=town, role=Role.ADMIN)
    MembershipFactory(municipality=town, role=Role.COUNTER)
    consortium = Consortium.objects.create(slug="kumiai", name="甲乙組合", kind="densan")
    consortium.members.set([town, other])
    suspension.suspend(other, "試験")

    page = op_client.get(reverse("staff:operator_municipalities")).content.decode()
    assert "甲町" in page and "乙村" in page and town.code in page
    assert page.count("利用中") >= 1 and "利用停止中" in page  # in words, not by colour
    assert "2人" in page  # 甲町's active staff
    assert "甲乙組合" in page

    page = op_client.get(reverse("staff:operator_consortia")).content.decode()
    assert "甲乙組合" in page and "電算組合・一部事務組合" in page
    assert "甲町" in page and "乙村" in page and "利用停止中" in page


def test_the_list_asks_the_same_queries_for_two_or_twenty_municipalities(op_client: Client) -> None:
    counts = []
    for extra in (2, 18):
        for _ in range(extra):
            MembershipFactory(municipality=MunicipalityFactory(), role=Role.ADMIN)
        with CaptureQueriesContext(connection) as queries:
            response = op_client.get(reverse("staff:operator_municipalities"))
        assert response.status_code == 200
        counts.append(len(queries))
    assert Municipality.objects.count() == 20
    assert counts[0] == counts[1], counts


def test_an_operator_adds_a_municipality_through_the_commands_function(
    op_client: Client, operator: User
) -> None:
    response = op_client.post(
        reverse("staff:operator_municipality_add"),
        {"code": "０６３２４０", "slug": "oe", "email": "info@town.oe.example.jp"},  # full-width digits
    )
    town = Municipality.objects.get(code="063240")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:operator_municipality", args=["oe"])
    assert (town.name, town.kana, town.prefecture, town.kind) == ("大江町", "おおえまち", "山形県", "town")
    created = LogEntry.objects.get_for_object(town).get()
    assert created.action == LogEntry.Action.CREATE and created.actor == operator

    page = op_client.get(response["Location"]).content.decode()
    assert "大江町（063240）を追加しました" in page
    assert "大江町" in page and "利用中" in page and "yakusho setup" in page  # no administrator yet


def test_adding_refuses_every_bad_input_at_once_in_japanese(op_client: Client) -> None:
    MunicipalityFactory(slug="taken")
    url = reverse("staff:operator_municipality_add")

    errors = _errors(op_client.post(url, {"code": "063224", "slug": "taken", "email": "not-an-address"}))
    assert "検査数字（末尾の1桁）が正しくありません" in errors["code"][0]
    assert "URL名「taken」はほかの団体が使っています" in errors["slug"][0]
    assert errors["email"] and "メールアドレス" in errors["email"][0]

    errors = _errors(op_client.post(url, {"code": "063258", "slug": "Bad Slug!"}))
    assert "063258 は一覧にありません" in errors["code"][0]
    assert errors["slug"]  # Django's own message for a slug, in Japanese

    errors = _errors(op_client.post(url, {"code": "", "slug": "taken"}))
    assert set(errors) == {"code", "slug"}

    op_client.post(url, {"code": "063240", "slug": "oe"})
    errors = _errors(op_client.post(url, {"code": "063240", "slug": "oe2"}))
    assert "すでに団体「oe」として登録されています" in errors["code"][0]
    assert Municipality.objects.count() == 2  # taken and oe: nothing half-made


def test_an_operator_adds_a_consortium_and_its_refusals_come_at_once(
    op_client: Client, operator: User
) -> None:
    town, other = MunicipalityFactory(), MunicipalityFactory()
    url = reverse("staff:operator_consortium_add")

    errors = _errors(op_client.post(url, {"name": "", "kind": "densan"}))
    assert errors["name"] and errors["members"] == ["構成団体を1つ以上選んでください。"]
    errors = _errors(op_client.post(url, {"name": "組合", "kind": "nonsense", "members": ["999999"]}))
    assert set(errors) == {"kind", "members"}

    response = op_client.post(url, {"name": "西村山広域", "kind": "densan", "members": [other.pk, town.pk]})
    assert response.status_code == 302
    consortium = Consortium.objects.get(name="西村山広域")
    assert set(consortium.members.all()) == {town, other} and consortium.kind == "densan"
    assert LogEntry.objects.get_for_object(consortium).filter(actor=operator).exists()

    errors = _errors(op_client.post(url, {"name": "西村山広域", "kind": "densan", "members": [town.pk]}))
    assert "広域連携「西村山広域」はすでにあります。" in errors["name"]


def test_suspend_needs_a_reason_and_a_post_and_resume_restores_both_audited(
    op_client: Client, operator: User
) -> None:
    town = MunicipalityFactory(name="甲町")
    suspend = reverse("staff:operator_suspend", args=[town.slug])
    resume = reverse("staff:operator_resume", args=[town.slug])

    page = op_client.get(suspend)
    assert page.status_code == 200 and "利用停止の理由" in page.content.decode()
    errors = _errors(op_client.post(suspend, {"reason": "　"}))
    assert errors == {"reason": ["利用停止の理由を入力してください。"]}
    town.refresh_from_db()
    assert not town.is_suspended

    assert op_client.post(suspend, {"reason": "契約の終了"}).status_code == 302
    town.refresh_from_db()
    assert town.is_suspended and town.suspended_reason == "契約の終了"
    detail = op_client.get(reverse("staff:operator_municipality", args=[town.slug])).content.decode()
    assert "利用停止中" in detail and "契約の終了" in detail
    assert "利用停止（理由：契約の終了）" in detail  # the history, in words

    assert op_client.get(resume).status_code == 200  # a confirmation page: nothing changes on GET
    town.refresh_from_db()
    assert town.is_suspended
    assert op_client.post(resume).status_code == 302
    town.refresh_from_db()
    assert not town.is_suspended and town.suspended_reason == ""

    updates = audit.history(town).filter(action=LogEntry.Action.UPDATE)
    assert [e.actor for e in updates] == [operator, operator]
    assert [d.summary for d in audit.describe(updates)] == ["利用再開", "利用停止（理由：契約の終了）"]
    admin = MembershipFactory(municipality=town, role=Role.ADMIN).user
    other = Client()
    login_verified(other, admin)
    log = other.get(reverse("staff:audit_log", args=[town.slug])).content.decode()
    assert "利用停止（理由：契約の終了）" in log and "利用再開" in log


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("operator_municipalities", []),
        ("operator_consortia", []),
        ("operator_municipality_add", []),
        ("operator_consortium_add", []),
        ("operator_municipality", ["here"]),
        ("operator_suspend", ["here"]),
        ("operator_resume", ["here"]),
    ],
)
def test_only_a_verified_operator_opens_the_pages(client: Client, operator: User, name: str, args) -> None:
    town = MunicipalityFactory(slug="here")
    url = reverse(f"staff:{name}", args=args)
    assert client.get(url)["Location"].startswith(reverse("staff:login"))
    admin = MembershipFactory(municipality=town, role=Role.ADMIN).user
    login_verified(client, admin)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x", "code": "063240"}).status_code == 403
    client.logout()
    client.force_login(operator)  # signed in, without a second factor
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff:2fa_setup"))
    town.refresh_from_db()
    assert not town.is_suspended and Municipality.objects.count() == 1


def test_the_staff_home_links_operators_to_their_pages(client: Client, operator: User) -> None:
    login_verified(client, operator)
    page = client.get(reverse("staff:home")).content.decode()
    assert reverse("staff:operator_municipalities") in page
    assert "所属している団体がありません" not in page
    client.logout()
    login_verified(client, MembershipFactory(role=Role.ADMIN).user)
    assert reverse("staff:operator_municipalities") not in client.get(reverse("staff:home")).content.decode()


def test_createoperator_makes_promotes_and_revokes(monkeypatch) -> None:
    monkeypatch.setenv("YAKUSHO_OPERATOR_PASSWORD", "a-long-enough-passphrase-2026")
    out = io.StringIO()
    call_command("createoperator", "--email", "Ops@Example.jp", "--name", "運用", stdout=out)
    user = User.objects.get(email="ops@example.jp")
    assert (
        user.is_operator
        and user.requires_two_factor()
        and user.check_password("a-long-enough-passphrase-2026")
    )
    assert "運用管理者です" in out.getvalue()
    staff = MembershipFactory(role=Role.COUNTER).user
    call_command("createoperator", "--email", staff.email, stdout=io.StringIO())
    staff.refresh_from_db()
    assert staff.is_operator and staff.check_password("correct-horse-battery")  # promoted, unchanged
    call_command("createoperator", "--email", staff.email, "--revoke", stdout=io.StringIO())
    staff.refresh_from_db()
    assert not staff.is_operator
    with pytest.raises(CommandError, match="運用管理者ではありません"):
        call_command("createoperator", "--email", staff.email, "--revoke", stdout=io.StringIO())
    monkeypatch.setenv("YAKUSHO_OPERATOR_PASSWORD", "short")
    with pytest.raises(CommandError):
        call_command("createoperator", "--email", "new@example.jp", stdout=io.StringIO())
    assert not User.objects.filter(email="new@example.jp").exists()


def test_the_demo_has_an_operator(demo) -> None:
    operator = User.objects.get(email="operator@example.jp")
    assert operator.is_operator and not operator.memberships.exists()
