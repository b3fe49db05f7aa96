"""Sign-in, two-factor authentication, invitations, password resets and deactivation."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory, UserFactory
from tests.helpers import login_verified
from yakusho.core.models import Invitation, Membership, OutboundEmail, Role, User

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_login_with_email_and_password(client: Client) -> None:
    membership = MembershipFactory(role=Role.COUNTER)
    response = client.post(
        reverse("staff:login"), {"username": membership.user.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("staff:home")
    home = client.get(reverse("staff:home"))
    assert membership.municipality.name in home.content.decode()


@pytest.mark.parametrize("length", [254, 256, 10_000])
def test_an_overlong_sign_in_name_is_refused_with_the_form_not_a_server_error(
    client: Client, length: int
) -> None:
    """The lockout records the name typed (its column holds 255 characters)."""
    from axes.models import AccessAttempt

    name = "a" * (length - len("@example.jp")) + "@example.jp"
    response = client.post(reverse("staff:login"), {"username": name, "password": "nope"})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode() or "errorlist" in response.content.decode()
    assert all(len(a.username or "") <= 255 for a in AccessAttempt.objects.all())


def test_wrong_password_is_refused_in_japanese(client: Client) -> None:
    membership = MembershipFactory(role=Role.COUNTER)
    response = client.post(reverse("staff:login"), {"username": membership.user.email, "password": "nope"})
    assert response.status_code == 200
    assert "メールアドレスまたはパスワードが正しくありません" in response.content.decode()


def test_administrator_must_set_up_two_factor(client: Client) -> None:
    membership = MembershipFactory(role=Role.ADMIN)
    client.force_login(membership.user)
    url = reverse("staff:department_list", args=[membership.municipality.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:2fa_setup"))
    page = client.get(response["Location"])
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode())
    assert secret
    device = TOTPDevice.objects.get(user=membership.user, confirmed=False)
    wrong = client.post(
        response["Location"], {"token": "000000" if current_code(device) != "000000" else "111111"}
    )
    assert "確認コードが正しくありません" in wrong.content.decode()
    throttled = client.post(response["Location"], {"token": current_code(device)})
    assert "しばらく待ってから" in throttled.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # as if the wait had passed
    done = client.post(response["Location"], {"token": current_code(device)})
    assert done.status_code == 302 and done["Location"] == url
    assert client.get(url).status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_staff_with_a_device_must_enter_a_code(client: Client) -> None:
    membership = MembershipFactory(role=Role.COUNTER)
    device = TOTPDevice.objects.create(user=membership.user, name="app", confirmed=True)
    client.force_login(membership.user)
    home = client.get(reverse("staff:home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("staff:2fa_verify"))
    bad = client.post(reverse("staff:2fa_verify"), {"token": "12345"})
    assert "6桁" in bad.content.decode()
    good = client.post(reverse("staff:2fa_verify") + "?next=/staff/", {"token": current_code(device)})
    assert good.status_code == 302 and good["Location"] == "/staff/"
    assert client.get(reverse("staff:home")).status_code == 200


def test_two_factor_next_does_not_redirect_off_site(client: Client) -> None:
    membership = MembershipFactory(role=Role.COUNTER)
    device = TOTPDevice.objects.create(user=membership.user, name="app", confirmed=True)
    client.force_login(membership.user)
    response = client.post(
        reverse("staff:2fa_verify") + "?next=https://evil.example/", {"token": current_code(device)}
    )
    assert response["Location"] == reverse("staff:home")


def invite(client: Client, admin: User, town, **data):
    login_verified(client, admin)
    return client.post(reverse("staff:staff_invite", args=[town.slug]), data)


def test_invitation_flow(client: Client) -> None:
    admin_membership = MembershipFactory(role=Role.ADMIN)
    town = admin_membership.municipality
    dept = DepartmentFactory(municipality=town, name="税務町民課")
    response = invite(
        client,
        admin_membership.user,
        town,
        email="ＮＥＷ@Example.jp",
        display_name="新人",
        role=Role.DEPARTMENT,
        departments=[dept.pk],
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new@example.jp"
    mail = OutboundEmail.objects.get()
    assert mail.to == ["new@example.jp"] and town.name in mail.subject
    link = re.search(r"http://\S+/staff/invite/\S+/", mail.body)
    assert link
    path = link.group(0).split("8000", 1)[1]
    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "new@example.jp" in page.content.decode()
    mismatch = client.post(
        path, {"display_name": "新人", "password1": "a-long-passphrase-1", "password2": "other"}
    )
    assert "一致しません" in mismatch.content.decode()
    assert not User.objects.filter(email="new@example.jp").exists()
    done = client.post(
        path, {"display_name": "新人", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"}
    )
    assert done.status_code == 302
    membership = Membership.objects.get(user__email="new@example.jp")
    assert membership.role == Role.DEPARTMENT and list(membership.departments.all()) == [dept]
    assert client.get(path).status_code == 410  # used once only


def test_existing_account_joins_a_second_municipality(client: Client) -> None:
    first = MembershipFactory(role=Role.COUNTER)
    second_admin = MembershipFactory(role=Role.ADMIN)
    invite(client, second_admin.user, second_admin.municipality, email=first.user.email, role=Role.COUNTER)
    invitation = Invitation.objects.get()
    client.logout()
    path = reverse("staff:invitation_accept", args=[invitation.token])
    assert "ログインしてから" in client.get(path).content.decode()
    client.post(path)
    assert not Membership.objects.filter(user=first.user, municipality=second_admin.municipality).exists()
    client.force_login(first.user)
    client.post(path)
    assert Membership.objects.filter(user=first.user, municipality=second_admin.municipality).exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("member", "すでに"),
        ("pending", "有効な招待を送っています"),
        ("foreign_department", "この団体の課ではありません"),
        ("department_role_without_department", "所属課を1つ以上"),
        ("bad_email", "メールアドレス"),
    ],
)
def test_bad_invitations_save_nothing(client: Client, case: str, message: str) -> None:
    admin_membership = MembershipFactory(role=Role.ADMIN)
    town = admin_membership.municipality
    colleague = MembershipFactory(municipality=town, role=Role.COUNTER)
    Invitation.objects.create(municipality=town, email="pending@example.jp", role=Role.COUNTER)
    foreign = DepartmentFactory(municipality=MunicipalityFactory())
    data = {
        "member": {"email": colleague.user.email.upper(), "role": Role.COUNTER},
        "pending": {"email": "pending@example.jp", "role": Role.COUNTER},
        "foreign_department": {"email": "x@example.jp", "role": Role.DEPARTMENT, "departments": [foreign.pk]},
        "department_role_without_department": {"email": "y@example.jp", "role": Role.DEPARTMENT},
        "bad_email": {"email": "not-an-address", "role": Role.COUNTER},
    }[case]
    response = invite(client, admin_membership.user, town, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Invitation.objects.count() == 1
    assert OutboundEmail.objects.count() == 0


def test_foreign_department_cannot_be_given_on_role_change(client: Client) -> None:
    admin_membership = MembershipFactory(role=Role.ADMIN)
    town = admin_membership.municipality
    target = MembershipFactory(municipality=town, role=Role.COUNTER)
    foreign = DepartmentFactory(municipality=MunicipalityFactory())
    login_verified(client, admin_membership.user)
    response = client.post(
        reverse("staff:staff_update", args=[town.slug, target.pk]),
        {"role": Role.DEPARTMENT, "departments": [foreign.pk]},
    )
    assert "この団体の課ではありません" in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.COUNTER and target.departments.count() == 0


def test_password_reset_by_administrator(client: Client) -> None:
    admin_membership = MembershipFactory(role=Role.ADMIN)
    town = admin_membership.municipality
    target = MembershipFactory(municipality=town, role=Role.COUNTER)
    login_verified(client, admin_membership.user)
    client.post(reverse("staff:staff_reset_password", args=[town.slug, target.pk]))
    mail = OutboundEmail.objects.get()
    assert mail.to == [target.user.email]
    path = re.search(r"/staff/reset/\S+/", mail.body).group(0)  # type: ignore[union-attr]
    client.logout()
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase-9", "new_password2": "brand-new-passphrase-9"},
    )
    assert response.status_code == 302
    target.user.refresh_from_db()
    assert target.user.check_password("brand-new-passphrase-9")


def test_deactivation_closes_the_account_when_no_membership_is_left(client: Client) -> None:
    admin_membership = MembershipFactory(role=Role.ADMIN)
    town = admin_membership.municipality
    target = MembershipFactory(municipality=town, role=Role.COUNTER)
    MembershipFactory(user=target.user, role=Role.COUNTER)  # also works elsewhere
    login_verified(client, admin_membership.user)
    client.post(reverse("staff:staff_deactivate", args=[town.slug, target.pk]))
    target.refresh_from_db()
    target.user.refresh_from_db()
    assert not target.is_active and target.user.is_active  # still active elsewhere
    other_client = Client()
    other_client.force_login(target.user)
    assert other_client.get(reverse("staff:municipality", args=[town.slug])).status_code == 403
    Membership.objects.filter(user=target.user).exclude(pk=target.pk).update(is_active=False)
    client.post(reverse("staff:staff_deactivate", args=[town.slug, target.pk]))
    target.user.refresh_from_db()
    assert not target.user.is_active
    client.post(reverse("staff:staff_reactivate", args=[town.slug, target.pk]))
    target.user.refresh_from_db()
    assert target.user.is_active


def test_administrator_cannot_deactivate_themselves(client: Client) -> None:
    admin_membership = MembershipFactory(role=Role.ADMIN)
    login_verified(client, admin_membership.user)
    client.post(
        reverse("staff:staff_deactivate", args=[admin_membership.municipality.slug, admin_membership.pk])
    )
    admin_membership.refresh_from_db()
    assert admin_membership.is_active


def test_user_manager() -> None:
    user = User.objects.create_user("Mixed@Example.JP", "pw-123456789")
    assert user.email == "mixed@example.jp"
    assert UserFactory().check_password("correct-horse-battery")
