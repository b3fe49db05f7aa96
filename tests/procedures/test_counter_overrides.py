"""A clerk may waive a rule meant for online applicants (a lead time such as 「3日後以降」) with a
reason: kept on the item, on the submission and in the audit trail, and shown to staff."""

from __future__ import annotations

import json
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.helpers import make_procedure
from yakusho.core.jcal import format_date
from yakusho.core.models import Role
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.counter import services as counter

FORM = {
    "key": "suido",
    "version": 1,
    "title": "水道使用開始届",
    "privacy_notice": "入力された個人情報は、この手続にのみ使います。",
    "pages": [
        {
            "key": "p",
            "title": "使用開始",
            "fields": [
                {
                    "key": "start_on",
                    "type": "date",
                    "label": "使用開始日",
                    "required": True,
                    "min": "today+3d",
                    "max": "today+90d",
                },
                {"key": "fixed", "type": "date", "label": "検針日", "min": "2020-01-01"},
            ],
        }
    ],
}


@pytest.fixture
def world(db) -> dict[str, Any]:
    town = MunicipalityFactory(slug="waive", name="試験町", is_demo=True)
    dept = DepartmentFactory(municipality=town, name="上下水道課")
    procedure = make_procedure(town, dept, "suido", "水道使用開始届", events=("moving-in",))
    add_form_definition(procedure, FORM)
    staff = MembershipFactory(municipality=town, role=Role.COUNTER)
    visit = counter.start_visit(town, staff.user)
    counter.identify(
        visit, "manual", {"name": "試験 花子", "address": "試験町1", "birth_date": "1985-04-01", "sex": "女"}
    )
    counter.set_procedures(visit, [procedure.pk])
    return {"town": town, "visit": visit, "staff": staff, "procedure": procedure}


def _item(visit: Any) -> Any:
    return visit.items.select_related("form", "procedure").get()


def test_a_lead_time_is_waived_only_with_a_reason(world) -> None:
    visit = world["visit"]
    today = format_date(timezone.localdate())
    refused = counter.save_item(visit, _item(visit), {"start_on": [today]})
    assert not refused.ok and "start_on" in refused.waivable
    assert "以降の日付" in refused.waivable["start_on"]
    no_reason = counter.save_item(visit, _item(visit), {"start_on": [today]}, waivers={"start_on": "  "})
    assert not no_reason.ok and "理由を書いてください" in " ".join(no_reason.errors["start_on"])
    assert not _item(visit).complete
    # a fixed bound is not a lead time: it cannot be waived
    old = counter.save_item(
        visit, _item(visit), {"start_on": [today], "fixed": ["2019-01-01"]}, waivers={"fixed": "x"}
    )
    assert "fixed" in old.errors and "fixed" not in old.waivable
    reason = "本日から使いたいとのこと。水道課に電話で確認済み。"
    saved = counter.save_item(
        visit, _item(visit), {"start_on": [today]}, waivers={"start_on": reason}, by="窓口 太郎"
    )
    assert saved.ok, saved.errors
    item = _item(visit)
    assert item.complete and item.overrides["start_on"]["reason"] == reason
    assert item.overrides["start_on"]["by"] == "窓口 太郎"

    counter.request_confirmation(visit)
    counter.resident_confirms(visit)
    [submission] = counter.finish(visit)
    assert submission.data["start_on"] == timezone.localdate().isoformat()
    assert submission.overrides[0]["reason"] == reason and "使用開始日" in submission.overrides[0]["rule"]
    created = LogEntry.objects.get_for_object(submission).get(action=LogEntry.Action.CREATE)
    assert json.loads(created.changes["overrides"][1])[0]["reason"] == reason


def test_staff_see_the_waiver_on_the_counter_and_the_submission(world, client: Client) -> None:
    visit, town = world["visit"], world["town"]
    login_verified(client, world["staff"].user)
    item = _item(visit)
    item_url = reverse("counter:item", args=[town.slug, visit.code, item.pk])
    today = format_date(timezone.localdate())
    page = client.post(item_url, {"start_on": today})
    assert page.status_code == 400
    html = page.content.decode()
    assert "窓口の判断で受け付ける" in html and 'name="_waive-start_on"' in html
    client.post(item_url, {"start_on": today, "_waive-start_on": "1", "_waive_reason-start_on": "急ぎのため"})
    assert _item(visit).complete
    again = client.get(item_url).content.decode()
    assert "急ぎのため" in again and "checked" in again.split('name="_waive-start_on"')[1][:40]
    counter.request_confirmation(visit)
    counter.resident_confirms(visit)
    [submission] = counter.finish(visit)
    admin = MembershipFactory(municipality=town, role=Role.ADMIN)
    login_verified(client, admin.user)
    detail = client.get(reverse("inbox:detail", args=[town.slug, submission.pk])).content.decode()
    assert "窓口の判断で受け付けたこと" in detail and "急ぎのため" in detail
