from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from yakusho.core.models import Consortium, Department, Membership, Municipality, Role, User

pytestmark = pytest.mark.django_db


def test_demo_loads_the_five_municipalities(demo) -> None:
    names = list(Municipality.objects.order_by("code").values_list("name", flat=True))
    assert sorted(names) == sorted(["潟上市", "潮来市", "村上市", "大江町", "美郷町"])
    for m in Municipality.objects.all():
        m.full_clean()  # valid 団体コード with check digit
    akita = Consortium.objects.get(slug="akita")
    assert sorted(akita.members.values_list("name", flat=True)) == ["潟上市", "美郷町"]


def test_departments_from_the_plans(demo) -> None:
    itako = Department.objects.filter(municipality__slug="itako")
    assert itako.filter(name="DX戦略室").exists()
    assert not itako.filter(name="全課").exists()
    assert not itako.filter(is_demo=True).exists()
    assert Department.objects.filter(municipality__slug="oe", name="税務町民課").exists()
    # Plans that name no department per item get a demo set, marked as such.
    assert Department.objects.filter(municipality__slug="katagami", is_demo=False).count() == 0
    assert Department.objects.filter(municipality__slug="murakami", is_demo=True).count() >= 10


def test_one_user_per_role(demo) -> None:
    for role in Role:
        assert Membership.objects.filter(role=role, user__email__endswith="@example.jp").exists()
    assert User.objects.get(email="consortium@example.jp").consortium_memberships.count() == 1
    assert User.objects.get(email="admin@example.jp").requires_two_factor()
    department_user = Membership.objects.filter(role=Role.DEPARTMENT).first()
    assert department_user is not None and department_user.departments.count() == 1


def test_the_demo_command_prints_logins_is_idempotent_and_loads_reviews_when_told(db) -> None:
    """The whole ``yakusho demo`` as ``make run`` runs it, twice (each load takes seconds, so one
    test does both): the logins printed, nothing doubled, the yearly reviews only when asked."""
    from django.test import override_settings

    from yakusho.plans.demo.reviews import fixture_files
    from yakusho.plans.models import ReviewCycle

    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "admin@example.jp" in out.getvalue() and "yakusho-demo-2026" in out.getvalue()
    assert not ReviewCycle.objects.exists()  # the test settings turn them off
    counts = (Municipality.objects.count(), Department.objects.count(), Membership.objects.count())
    with override_settings(YAKUSHO_DEMO_REVIEWS=True):
        call_command("demo", quiet_logins=True, verbosity=0)
    assert (Municipality.objects.count(), Department.objects.count(), Membership.objects.count()) == counts
    assert ReviewCycle.objects.filter(demo=True).count() == len(fixture_files())


def test_nothing_reads_the_shared_folder() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    offenders = [p for p in src.rglob("*.py") if "../shared" in p.read_text("utf-8")]
    assert offenders == []
