from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from yakusho.core.models import Department, Membership, Municipality, Role, User
from yakusho.core.validators import municipality_check_digit


def _code(n: int) -> str:
    first = f"{(n % 47) + 1:02d}{200 + n % 800:03d}"  # unique for n < 37600 (47 × 800)
    return first + str(municipality_check_digit(first))


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"town{n}")
    name = factory.Sequence(lambda n: f"試験町{n}")
    kana = factory.Sequence(lambda n: f"しけんちょう{n}")
    prefecture = "秋田県"
    kind = "town"
    code = factory.Sequence(_code)
    email_from = factory.Sequence(lambda n: f"info@town{n}.example.jp")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"試験課{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.jp")
    display_name = factory.Faker("name", locale="ja_JP")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    municipality = factory.SubFactory(MunicipalityFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ADMIN
