"""Ids beyond 64 bits find nothing, on SQLite as on PostgreSQL (``core.lookups``): an ``in`` list,
a foreign key's ``exact`` and ``in``, a multiple-choice field and the pages that filter by a typed
id answer without a server error."""

from __future__ import annotations

import pytest
from django import forms
from django.test import Client

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.models import Department, Role

pytestmark = pytest.mark.django_db

HUGE = 10**20


def test_an_id_beyond_64_bits_matches_nothing_and_leaves_the_others() -> None:
    town = MunicipalityFactory()
    first, second = DepartmentFactory(municipality=town), DepartmentFactory(municipality=town)
    departments = Department.objects.filter(municipality=town)
    assert list(departments.filter(pk__in=[HUGE, first.pk])) == [first]
    assert not departments.filter(pk__in=[HUGE, -HUGE]).exists()
    assert departments.exclude(pk__in=[HUGE]).count() == 2
    assert not Department.objects.filter(municipality=HUGE).exists()
    assert not Department.objects.filter(municipality_id=str(HUGE)).exists()
    assert set(Department.objects.filter(municipality__in=[HUGE, town.pk])) == {first, second}
    assert Department.objects.exclude(municipality__in=[-HUGE]).filter(municipality=town).count() == 2


def test_a_multiple_choice_of_a_huge_id_is_a_form_error() -> None:
    DepartmentFactory()
    field = forms.ModelMultipleChoiceField(queryset=Department.objects.all())
    with pytest.raises(forms.ValidationError):
        field.clean([str(HUGE)])


def test_pages_that_filter_or_choose_by_id_answer_a_huge_one() -> None:
    town = MunicipalityFactory()
    department = DepartmentFactory(municipality=town)
    client = Client()
    login_verified(client, MembershipFactory(municipality=town, role=Role.ADMIN).user)
    listing = client.get(f"/staff/m/{town.slug}/submissions/", {"procedure": str(HUGE)})
    assert listing.status_code in (200, 400, 404)
    invite = client.post(
        f"/staff/m/{town.slug}/staff/invite/",
        {"email": "new@example.jp", "role": Role.DEPARTMENT, "departments": [str(HUGE), str(department.pk)]},
    )
    assert invite.status_code == 400 or invite.status_code == 200
    assert "選択" in invite.content.decode()  # the departments field says the choice is not one
