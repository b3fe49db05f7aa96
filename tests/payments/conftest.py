"""A small town with its own fee catalogue (independent of the demo's), and its staff."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.models import Municipality, Role, User
from yakusho.payments.models import FeeItem, FeeKind, FeeRate, Method, Unit

#: the catalogue of the test town: key → (name, kind, account code, methods, amount, unit)
CATALOGUE = {
    "juminhyo": (
        "住民票の写し交付手数料",
        FeeKind.FEE,
        "14-01-01",
        ["cash", "card", "qr", "emoney"],
        300,
        Unit.COPY,
    ),
    "inkan": (
        "印鑑登録証明書交付手数料",
        FeeKind.FEE,
        "14-01-01",
        ["cash", "card", "qr", "emoney"],
        300,
        Unit.COPY,
    ),
    "koseki": ("戸籍謄本交付手数料", FeeKind.FEE, "14-01-02", ["cash", "card", "qr"], 450, Unit.COPY),
    "sodai": ("粗大ごみ処理手数料", FeeKind.FEE, "14-02-01", ["cash", "ticket"], 500, Unit.ITEM),
    "kaikan": ("町民会館使用料", FeeKind.CHARGE, "13-01-01", ["cash"], 1000, Unit.HOUR),
}
RATES_FROM = date(2020, 4, 1)


def make_catalogue(town: Municipality) -> dict[str, FeeItem]:
    department = DepartmentFactory(municipality=town, name="町民課")
    items = {}
    for order, (key, (name, kind, code, methods, amount, unit)) in enumerate(CATALOGUE.items()):
        item = FeeItem.objects.create(
            municipality=town,
            key=key,
            name=name,
            kind=kind,
            department=department,
            legal_basis="テスト町手数料条例 第2条",
            account_code=code,
            account_name="総務手数料",
            methods=methods,
            order=order,
        )
        FeeRate.objects.create(
            item=item,
            valid_from=RATES_FROM,
            unit=unit,
            amount_yen=amount,
            non_resident_yen=amount * 2 if kind == FeeKind.CHARGE else None,
            max_quantity=10,
            exemptions=["生活保護受給者", "公用"],
        )
        items[key] = item
    return items


@pytest.fixture
def town(db: None) -> Municipality:
    town = MunicipalityFactory(slug="testtown", name="テスト町")
    make_catalogue(town)
    return town


@pytest.fixture
def other_town(db: None) -> Municipality:
    town = MunicipalityFactory(slug="othertown", name="ほか市")
    make_catalogue(town)
    return town


def member(town: Municipality, role: str = Role.COUNTER) -> User:
    return MembershipFactory(municipality=town, role=role).user


def signed_in(client: Client, town: Municipality, role: str = Role.COUNTER) -> tuple[Client, User]:
    user = member(town, role)
    login_verified(client, user)
    return client, user


def item(town: Municipality, key: str) -> FeeItem:
    return FeeItem.objects.get(municipality=town, key=key)


__all__ = ["CATALOGUE", "Method", "item", "make_catalogue", "member", "signed_in"]
