"""A list entered for one procedure of a counter visit (the people moving in) carries to the
next procedure's list of the same kind (the people joining 国民健康保険), where staff remove the
rows that do not belong; a list staff have saved is never replaced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from yakusho.core.models import Role
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.counter import services as counter
from yakusho.procedures.counter.prefill import OTHER

PRIVACY = "入力された個人情報は、この手続にのみ使います。"
SEX = {
    "key": "sex",
    "type": "radio",
    "label": "性別",
    "options": [{"value": "male", "label": "男"}, {"value": "female", "label": "女"}],
}


def _form(key: str, group: str, label: str, extra: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": key,
        "version": 1,
        "title": label,
        "privacy_notice": PRIVACY,
        "pages": [
            {
                "key": "p",
                "title": label,
                "fields": [
                    {
                        "key": group,
                        "type": "group",
                        "label": label,
                        "fields": [
                            {"key": "name", "type": "name", "label": "氏名", "required": True},
                            {"key": "birth_date", "type": "date", "label": "生年月日", "required": True},
                            *extra,
                        ],
                    }
                ],
            }
        ],
    }


MOVING = _form(
    "tennyu",
    "people",
    "異動する人",
    [
        SEX,
        {
            "key": "relationship",
            "type": "select",
            "label": "続柄",
            "options": [{"value": "head", "label": "世帯主"}, {"value": "child", "label": "子"}],
        },
    ],
)
JOINING = _form(
    "kokuho",
    "insured",
    "加入する人",
    [
        {**SEX, "options": [{"value": "male", "label": "男"}]}
    ],  # offers one value only: the other is not carried
)


@pytest.fixture
def visit(db) -> Any:
    town = MunicipalityFactory(slug="lists", name="試験町", is_demo=True)
    dept = DepartmentFactory(municipality=town, name="住民課")
    keys = []
    for key, definition in (("tennyu", MOVING), ("kokuho", JOINING)):
        procedure = make_procedure(town, dept, key, definition["title"], events=("moving-in",))
        add_form_definition(procedure, definition)
        keys.append(procedure.pk)
    staff = MembershipFactory(municipality=town, role=Role.COUNTER)
    visit = counter.start_visit(town, staff.user)
    counter.identify(
        visit,
        "manual",
        {"name": "試験 花子", "address": "東京都千代田区霞が関1-1", "birth_date": "1985-04-01", "sex": "女"},
    )
    counter.set_procedures(visit, keys, life_event="moving-in")
    return visit


def _item(visit: Any, key: str) -> Any:
    return visit.items.select_related("form", "procedure").get(procedure__key=key)


PEOPLE = {
    "people-0-name-family_name": "試験",
    "people-0-name-given_name": "花子",
    "people-0-name-family_kana": "シケン",
    "people-0-name-given_kana": "ハナコ",
    "people-0-birth_date": "1985-04-01",
    "people-0-sex": "female",
    "people-0-relationship": "head",
    "people-1-name-family_name": "試験",
    "people-1-name-given_name": "太郎",
    "people-1-name-family_kana": "シケン",
    "people-1-name-given_kana": "タロウ",
    "people-1-birth_date": "2019-06-01",
    "people-1-sex": "male",
    "people-1-relationship": "child",
}


def test_the_people_moving_in_carry_to_the_people_joining(visit) -> None:
    tennyu = _item(visit, "tennyu")
    assert counter.save_item(visit, tennyu, {k: [v] for k, v in PEOPLE.items()}).ok
    kokuho = counter.item_input(visit, _item(visit, "kokuho"))
    assert kokuho.raw["insured-0-name-given_name"] == ["花子"]
    assert kokuho.raw["insured-1-name-given_name"] == ["太郎"]
    assert kokuho.raw["insured-1-birth_date"] == ["2019-06-01"]
    assert kokuho.raw["insured-1-sex"] == ["male"]
    assert "insured-0-sex" not in kokuho.raw  # 「女」 is not offered by this form
    assert not any("relationship" in name for name in kokuho.raw)  # not in this list
    assert kokuho.sources["insured-1-name-given_name"] == OTHER
    # staff remove the row that does not belong and save: their list stays
    saved = {k: v for k, v in kokuho.raw.items() if not k.startswith("insured-0-")}
    saved = {k.replace("insured-1-", "insured-0-"): v for k, v in saved.items()}
    assert counter.save_item(visit, _item(visit, "kokuho"), saved).ok
    again = counter.item_input(visit, _item(visit, "kokuho"))
    assert again.raw["insured-0-name-given_name"] == ["太郎"]
    assert "insured-1-name-given_name" not in again.raw


def test_nothing_is_carried_before_a_list_is_saved(visit) -> None:
    kokuho = counter.item_input(visit, _item(visit, "kokuho"))
    assert not any(name.startswith("insured-") for name in kokuho.raw)
