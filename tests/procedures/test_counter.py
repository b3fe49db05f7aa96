"""The no-writing counter (書かない窓口): prefill from the card and between forms, confirmation,
finish exactly once, abandon and discard, tenancy, and the staff and resident pages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.helpers import make_procedure
from yakusho.core.models import Role
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.counter import services as counter
from yakusho.procedures.counter.prefill import CARD, OTHER
from yakusho.procedures.counter.readers.base import ReaderError
from yakusho.procedures.counter.readers.service import set_enabled
from yakusho.procedures.counter.services import CounterError
from yakusho.procedures.models import Submission, SubmissionChannel
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem, OneStopRule, VisitStatus

PRIVACY = "入力された個人情報は、この手続にのみ使います。"
CONFIRM = {"key": "confirm", "type": "consent", "label": "内容を確認しました", "required": True}


def form(key: str, pages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"key": key, "version": 1, "title": f"{key}の申請書", "privacy_notice": PRIVACY, "pages": pages}


TENNYU = form(
    "tennyu",
    [
        {
            "key": "who",
            "title": "届出人",
            "fields": [
                {"key": "applicant", "type": "resident", "label": "届出人", "required": True},
                {"key": "phone", "type": "phone", "label": "電話番号", "required": True},
            ],
        },
        {
            "key": "move",
            "title": "異動の内容",
            "fields": [
                {
                    "key": "moved_on",
                    "type": "date",
                    "label": "異動日",
                    "required": True,
                    "fact": "moving.date",
                },
                {
                    "key": "previous",
                    "type": "address",
                    "label": "前住所",
                    "required": True,
                    "fact": "address.previous",
                },
                {"key": "spouse", "type": "name", "label": "配偶者の氏名", "kana": False},
                {
                    "key": "household",
                    "type": "number",
                    "label": "世帯の人数",
                    "unit": "人",
                    "min": 1,
                    "fact": "household.size",
                },
                CONFIRM,
            ],
        },
    ],
)
KOKUHO = form(
    "kokuho",
    [
        {
            "key": "p1",
            "title": "加入する方",
            "fields": [
                {
                    "key": "insured",
                    "type": "name",
                    "label": "加入する方の氏名",
                    "required": True,
                    "fact": "resident.name",
                },
                {
                    "key": "addr",
                    "type": "address",
                    "label": "前住所",
                    "required": True,
                    "fact": "address.previous",
                },
                {"key": "spouse", "type": "name", "label": "配偶者", "kana": False},
                {"key": "since", "type": "date", "label": "加入日", "required": True, "fact": "moving.date"},
                {"key": "phone", "type": "phone", "label": "電話番号", "required": True},
                CONFIRM,
            ],
        }
    ],
)
TEATE = form(
    "teate",
    [
        {
            "key": "p1",
            "title": "請求者",
            "fields": [
                {
                    "key": "claimant",
                    "type": "resident",
                    "label": "請求者",
                    "parts": ["name", "address"],
                    "required": True,
                },
                {
                    "key": "household",
                    "type": "number",
                    "label": "世帯の人数",
                    "min": 1,
                    "required": True,
                    "fact": "household.size",
                },
            ],
        },
        {
            "key": "p2",
            "title": "児童と口座",
            "fields": [
                {"key": "child", "type": "text", "label": "児童の氏名", "required": True},
                {"key": "bank", "type": "text", "label": "振込先の金融機関", "required": True},
                {
                    "key": "proof",
                    "type": "file",
                    "label": "口座の確認書類",
                    "accept": ["pdf"],
                    "required": True,
                },
            ],
        },
    ],
)
CARD_DATA = {
    "name": "試験 花子",
    "name_kana": "シケン ハナコ",
    "address": "東京都千代田区霞が関1-1",
    "birth_date": "昭和60年4月1日",
    "sex": "女",
}


@pytest.fixture
def world(db) -> dict[str, Any]:
    town = MunicipalityFactory(slug="cnt", name="試験町", is_demo=True)
    other_town = MunicipalityFactory(slug="cnt-other", name="隣町")
    dept = DepartmentFactory(municipality=town, name="住民課")
    procedures = {}
    for key, name, definition in (
        ("tennyu", "転入届", TENNYU),
        ("kokuho", "国民健康保険の加入届", KOKUHO),
        ("teate", "児童手当の認定請求", TEATE),
    ):
        p = make_procedure(town, dept, key, name, events=("moving-in",), paper_at_counter=key == "tennyu")
        add_form_definition(p, definition)
        procedures[key] = p
    procedures["guide"] = make_procedure(town, dept, "guide", "転入のご案内", events=("moving-in",))
    other_dept = DepartmentFactory(municipality=other_town, name="住民課")
    foreign = make_procedure(other_town, other_dept, "tennyu", "転入届")
    add_form_definition(foreign, TENNYU)
    staff = MembershipFactory(municipality=town, role=Role.COUNTER)
    return {"town": town, "other": other_town, "p": procedures, "foreign": foreign, "staff": staff}


def visit_with_items(world: dict[str, Any], card: dict[str, str] | None = None) -> CounterVisit:
    visit = counter.start_visit(world["town"], world["staff"].user)
    counter.identify(visit, "manual", card or CARD_DATA)
    p = world["p"]
    counter.set_procedures(visit, [p["tennyu"].pk, p["kokuho"].pk, p["teate"].pk], life_event="moving-in")
    return visit


def item(visit: CounterVisit, key: str) -> CounterVisitItem:
    return visit.items.select_related("form", "procedure").get(procedure__key=key)


TENNYU_ENTRY = {
    "applicant-postal_code": "100-0013",  # the card has none
    "moved_on": "令和8年4月1日",
    "previous-postal_code": "100-0013",  # 前住所 itself comes from the card
    "spouse-family_name": "試験",
    "spouse-given_name": "一郎",
    "household": "3",
    "phone": "090-1234-5678",
    "confirm": "on",
}


def save_with_prefill(visit: CounterVisit, key: str, **extra: str) -> counter.Validated:
    """Save an item with what is filled in already plus ``extra`` (what staff type)."""
    it = item(visit, key)
    raw = dict(counter.item_input(visit, it).raw)
    raw.update({k: [v] for k, v in extra.items()})
    return counter.save_item(visit, it, raw)


# --- identification -------------------------------------------------------------------------------


def test_identify_stores_the_card_and_starts_the_handling_time(world) -> None:
    visit = counter.start_visit(world["town"], world["staff"].user)
    assert visit.started_at is None and visit.status == VisitStatus.OPEN
    counter.identify(visit, "manual", CARD_DATA)
    visit.refresh_from_db()
    assert visit.identity["name"] == "試験 花子"
    assert visit.identity["birth_date"] == "1985-04-01"
    assert visit.started_at is not None
    assert visit.address_flagged  # 東京都千代田区: not 試験町, allowed but flagged


def test_an_address_in_the_municipality_is_not_flagged(world) -> None:
    visit = counter.start_visit(world["town"], None)
    counter.identify(visit, "manual", {**CARD_DATA, "address": "試験町大字左沢882-1"})
    visit.refresh_from_db()
    assert not visit.address_flagged


def test_malformed_card_data_is_refused_per_field_and_nothing_is_stored(world) -> None:
    visit = counter.start_visit(world["town"], None)
    with pytest.raises(ReaderError) as exc:
        counter.identify(
            visit,
            "simulated",
            {"payload": json.dumps({"name": "試験 花子", "birth_date": "昭和99年13月1日", "sex": "不明"})},
        )
    fields = {p.field for p in exc.value.problems}
    assert {"address", "birth_date", "sex"} <= fields
    assert any("住所" in m for m in exc.value.messages)
    with pytest.raises(ReaderError) as exc:
        counter.identify(visit, "simulated", {"payload": "{not json"})
    assert exc.value.messages
    visit.refresh_from_db()
    assert visit.identity == {} and visit.started_at is None


def test_a_switched_off_reader_is_refused(world) -> None:
    set_enabled(world["town"], "simulated", False)
    visit = counter.start_visit(world["town"], None)
    with pytest.raises(ReaderError, match="無効"):
        counter.identify(visit, "simulated", {"payload": json.dumps(CARD_DATA)})


# --- prefill --------------------------------------------------------------------------------------


def test_every_form_is_prefilled_from_the_card(world) -> None:
    visit = visit_with_items(world)
    tennyu = counter.item_input(visit, item(visit, "tennyu"))
    assert tennyu.raw["applicant-family_name"] == ["試験"]
    assert tennyu.raw["applicant-given_kana"] == ["ハナコ"]
    assert tennyu.raw["applicant-address"] == ["東京都千代田区霞が関1-1"]
    assert tennyu.raw["applicant-birth_date"] == ["1985-04-01"]
    assert tennyu.raw["applicant-sex"] == ["female"]
    assert tennyu.sources["applicant-family_name"] == CARD
    assert tennyu.raw["previous-address"] == ["東京都千代田区霞が関1-1"]  # moving in: the card's is 前住所
    assert "previous-postal_code" not in tennyu.raw  # the card has none
    kokuho = counter.item_input(visit, item(visit, "kokuho"))
    assert kokuho.raw["insured-family_name"] == ["試験"]  # fact resident.name
    assert kokuho.raw["addr-address"] == ["東京都千代田区霞が関1-1"]
    assert kokuho.sources["addr-address"] == CARD
    assert "spouse-family_name" not in kokuho.raw  # a name without a fact is not the resident's
    teate = counter.item_input(visit, item(visit, "teate"))
    assert teate.raw["claimant-given_name"] == ["花子"]
    assert "moved_on" not in tennyu.raw and "since" not in kokuho.raw  # not known yet


def test_a_card_date_saved_as_the_form_shows_it_is_still_from_the_card(world) -> None:
    """The page shows the card's 1985-04-01 as 昭和60年（1985年）4月1日 and staff save that text:
    reopening the form still says the birth date came from the card."""
    visit = visit_with_items(world)
    result = save_with_prefill(
        visit, "tennyu", **{**TENNYU_ENTRY, "applicant-birth_date": "昭和60年（1985年）4月1日"}
    )
    assert result.ok, result.errors
    reopened = counter.item_input(visit, item(visit, "tennyu"))
    assert reopened.sources["applicant-birth_date"] == CARD
    changed = save_with_prefill(visit, "tennyu", **{**TENNYU_ENTRY, "applicant-birth_date": "昭和60年4月2日"})
    assert changed.ok, changed.errors
    assert "applicant-birth_date" not in counter.item_input(visit, item(visit, "tennyu")).sources


def test_a_fact_entered_once_fills_every_other_form(world) -> None:
    visit = visit_with_items(world)
    result = save_with_prefill(visit, "tennyu", **TENNYU_ENTRY)
    assert result.ok, result.errors
    visit.refresh_from_db()
    assert visit.facts["moving.date"] == "2026-04-01"
    assert visit.facts["household.size"] == 3
    assert "resident.name" not in visit.facts  # the card's facts are not copied
    kokuho = counter.item_input(visit, item(visit, "kokuho"))
    assert kokuho.raw["since"] == ["2026-04-01"]  # same fact, another label
    assert kokuho.raw["phone"] == ["090-1234-5678"]  # no fact: same key and type
    assert kokuho.sources["since"] == OTHER and kokuho.sources["phone"] == OTHER
    assert kokuho.raw["spouse-given_name"] == ["一郎"]  # no fact: same key and type
    assert kokuho.raw["addr-postal_code"] == ["100-0013"]  # the postal code added to the card's address
    assert kokuho.raw["addr-address"] == ["東京都千代田区霞が関1-1"]
    assert "confirm" not in kokuho.raw  # a consent is given per form
    # only the consent is left to give: nothing is asked twice
    assert save_with_prefill(visit, "kokuho", confirm="on").ok
    teate = counter.item_input(visit, item(visit, "teate"))
    assert teate.raw["household"] == ["3"]
    result = save_with_prefill(visit, "teate", child="試験 太郎", bank="大江町農協")
    assert result.ok, result.errors  # the file field is seen at the counter, not uploaded
    assert all(i.complete for i in visit.items.all())


def test_a_changed_fact_reaches_the_forms_saved_before(world) -> None:
    visit = visit_with_items(world)
    assert save_with_prefill(visit, "tennyu", **TENNYU_ENTRY).ok
    assert save_with_prefill(visit, "kokuho", confirm="on").ok
    assert save_with_prefill(visit, "kokuho", phone="0237-62-2111", confirm="on").ok
    tennyu = item(visit, "tennyu")
    assert tennyu.answers["phone"] == ["0237-62-2111"]
    assert tennyu.cleaned["phone"] == "0237-62-2111"
    assert tennyu.complete


def test_bad_answers_are_refused_per_field_and_nothing_is_saved(world) -> None:
    visit = visit_with_items(world)
    result = save_with_prefill(
        visit, "tennyu", **{**TENNYU_ENTRY, "moved_on": "令和8年13月1日", "household": "0"}
    )
    assert not result.ok
    assert any("異動日" in m for m in result.errors["moved_on"])
    assert any("世帯の人数" in m for m in result.errors["household"])
    tennyu = item(visit, "tennyu")
    assert tennyu.answers == {} and not tennyu.complete
    visit.refresh_from_db()
    assert visit.facts == {}


def test_staff_corrections_to_card_data_become_facts(world) -> None:
    visit = visit_with_items(world)
    assert save_with_prefill(visit, "tennyu", **TENNYU_ENTRY, **{"applicant-given_name": "華子"}).ok
    visit.refresh_from_db()
    assert visit.facts["resident.name"]["given_name"] == "華子"
    kokuho = counter.item_input(visit, item(visit, "kokuho"))
    assert kokuho.raw["insured-given_name"] == ["華子"]
    assert kokuho.sources["insured-given_name"] == OTHER


# --- resume, confirmation, finish -----------------------------------------------------------------


def complete_all(visit: CounterVisit) -> None:
    assert save_with_prefill(visit, "tennyu", **TENNYU_ENTRY).ok
    assert save_with_prefill(visit, "kokuho", confirm="on").ok
    assert save_with_prefill(visit, "teate", child="試験 太郎", bank="大江町農協").ok


def test_an_interrupted_visit_is_resumed_from_the_days_list(world) -> None:
    visit = visit_with_items(world)
    assert save_with_prefill(visit, "tennyu", **TENNYU_ENTRY).ok
    listed = list(counter.visits_of_day(world["town"]))
    assert [v.pk for v in listed] == [visit.pk] and listed[0].is_active
    colleague = MembershipFactory(municipality=world["town"], role=Role.COUNTER).user
    counter.resume(listed[0], colleague)
    visit.refresh_from_db()
    assert visit.staff == colleague
    assert item(visit, "tennyu").complete  # nothing lost
    counter.abandon(visit)
    with pytest.raises(CounterError, match="再開できません"):
        counter.resume(visit, colleague)


def test_confirmation_needs_every_form_complete(world) -> None:
    visit = visit_with_items(world)
    assert save_with_prefill(visit, "tennyu", **TENNYU_ENTRY).ok
    with pytest.raises(CounterError) as exc:
        counter.request_confirmation(visit)
    assert "国民健康保険の加入届" in str(exc.value) and "児童手当の認定請求" in str(exc.value)
    assert "転入届」" not in str(exc.value)
    complete_all(visit)
    token = counter.request_confirmation(visit)
    assert len(token) >= 40 and visit.status == VisitStatus.CONFIRMING
    assert counter.visit_for_token(token) == visit
    assert counter.visit_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    with pytest.raises(CounterError):  # no change while the resident reads it
        save_with_prefill(visit, "kokuho", confirm="on")
    counter.ask_correction(visit)
    assert visit.status == VisitStatus.OPEN and counter.visit_for_token(token) is None
    again = counter.request_confirmation(visit)
    assert again != token


def test_finish_needs_the_residents_confirmation_and_happens_once(world) -> None:
    visit = visit_with_items(world)
    complete_all(visit)
    counter.request_confirmation(visit)
    with pytest.raises(CounterError, match="確認が済んでいない"):
        counter.finish(visit)
    assert not Submission.objects.exists()
    counter.resident_confirms(visit)
    submissions = counter.finish(visit)
    assert len(submissions) == 3
    assert {s.channel for s in submissions} == {SubmissionChannel.COUNTER}
    assert {s.procedure.key for s in submissions} == {"tennyu", "kokuho", "teate"}
    tennyu = next(s for s in submissions if s.procedure.key == "tennyu")
    assert tennyu.data["moved_on"] == "2026-04-01"
    assert tennyu.applicant_name == "試験 花子"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FINISHED and visit.finished_at is not None
    assert visit.confirm_token == ""
    again = counter.finish(visit)
    assert sorted(s.pk for s in again) == sorted(s.pk for s in submissions)
    assert Submission.objects.count() == 3
    with pytest.raises(CounterError):
        counter.abandon(visit)


# --- abandon and discard --------------------------------------------------------------------------


def test_abandoned_and_stale_visits_are_discarded_without_submitting(world) -> None:
    abandoned = visit_with_items(world)
    assert save_with_prefill(abandoned, "tennyu", **TENNYU_ENTRY).ok
    counter.abandon(abandoned)
    forgotten = visit_with_items(world, {**CARD_DATA, "name": "忘れ 次郎"})
    assert save_with_prefill(forgotten, "tennyu", **TENNYU_ENTRY).ok
    fresh = counter.start_visit(world["town"], None)
    counter.identify(fresh, "manual", CARD_DATA)
    CounterVisit.objects.filter(pk__in=[abandoned.pk, forgotten.pk]).update(
        arrived_at=timezone.now() - timedelta(hours=9)
    )
    call_command("discard_counter_visits", verbosity=0)
    for visit in (abandoned, forgotten):
        visit.refresh_from_db()
        assert visit.status == VisitStatus.ABANDONED and visit.abandoned_at is not None
        assert visit.identity == {} and visit.facts == {}
        assert all(i.answers == {} and i.cleaned == {} for i in visit.items.all())
    fresh.refresh_from_db()
    assert fresh.identity["name"] == "試験 花子"  # within the 8 hours: kept
    assert not Submission.objects.exists()
    # the personal data never was in the audit trail
    logged = json.dumps([e.changes for e in LogEntry.objects.all()], ensure_ascii=False)
    assert "忘れ" not in logged and "霞が関" not in logged


def test_the_discard_window_is_a_setting(world, settings) -> None:
    settings.YAKUSHO_COUNTER_DISCARD_HOURS = 1
    visit = visit_with_items(world)
    CounterVisit.objects.filter(pk=visit.pk).update(arrived_at=timezone.now() - timedelta(hours=2))
    report = counter.discard_stale()
    assert report.abandoned == 1 and report.erased == 1
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ABANDONED and visit.identity == {}


# --- procedures and one-stop ----------------------------------------------------------------------


def test_a_life_event_proposes_its_one_stop_rules_in_order(world) -> None:
    town, p = world["town"], world["p"]
    fallback = counter.proposals(town, "moving-in")
    assert {x.key for x in fallback} == {"tennyu", "kokuho", "teate"}  # 転入のご案内 has no form
    counter.save_one_stop(town, "moving-in", [(p["teate"].pk, 0), (p["tennyu"].pk, 1), (p["guide"].pk, 2)])
    proposed = counter.proposals(town, "moving-in")
    assert [x.key for x in proposed] == ["teate", "tennyu", "guide"]
    assert [bool(getattr(x, "has_form", None)) for x in proposed] == [True, True, False]
    with pytest.raises(CounterError, match="申請フォームがない"):
        counter.set_procedures(counter.start_visit(town, None), [p["guide"].pk])


def test_tenancy(world, client: Client) -> None:
    visit = visit_with_items(world)
    with pytest.raises(CounterError):
        counter.set_procedures(visit, [world["foreign"].pk])
    with pytest.raises(CounterError):
        counter.save_one_stop(world["town"], "moving-in", [(world["foreign"].pk, 0)])
    outsider = MembershipFactory(municipality=world["other"], role=Role.COUNTER)
    login_verified(client, outsider.user)
    response = client.get(reverse("counter:visit", args=[world["other"].slug, visit.code]))
    assert response.status_code == 404
    response = client.get(reverse("counter:visit", args=[world["town"].slug, visit.code]))
    assert response.status_code == 403
    assert [v.pk for v in counter.visits_of_day(world["other"])] == []


def test_the_demo_one_stop_rules_name_existing_procedures(demo) -> None:
    from yakusho.procedures.demo.one_stop import load_one_stop
    from yakusho.procedures.demo.procedures import load_demo_procedures

    load_demo_procedures(None)
    result = load_one_stop()
    assert result.missing == [], (
        f"data/demo/one-stop.yaml names procedures that do not exist: {result.missing}"
    )
    assert result.rules >= 6
    rules = OneStopRule.objects.filter(municipality__slug="oe", life_event="moving-in").order_by("order")
    assert [r.procedure.key for r in rules][:3] == ["tennyu-todoke", "kokuho-kanyu", "jidou-teate-nintei"]
    assert load_one_stop().rules == result.rules  # idempotent: every rule once, none added
    assert OneStopRule.objects.count() == result.rules


# --- pages ----------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(world, client: Client) -> Client:
    login_verified(client, world["staff"].user)
    return client


def url(name: str, world: dict[str, Any], *args: Any) -> str:
    return reverse(f"counter:{name}", args=[world["town"].slug, *args])


def test_a_visit_through_the_staff_pages_and_the_residents_screen(world, staff_client: Client) -> None:
    response = staff_client.get(url("home", world))
    assert response.status_code == 200 and "書かない窓口" in response.content.decode()
    response = staff_client.post(url("home", world), {"arrived": "25:00"})
    assert response.status_code == 400 and "ありえない時刻" in response.content.decode()
    response = staff_client.post(url("home", world), {"arrived": ""})
    visit = CounterVisit.objects.get()
    assert response["Location"] == url("identify", world, visit.code)

    response = staff_client.post(
        url("identify", world, visit.code), {"reader": "manual", **CARD_DATA, "birth_date": "平成99年"}
    )
    assert response.status_code == 400
    assert "生年月日" in response.content.decode()
    visit.refresh_from_db()
    assert visit.identity == {}
    payload = json.dumps(CARD_DATA, ensure_ascii=False)
    response = staff_client.post(
        url("identify", world, visit.code), {"reader": "simulated", "payload": payload}
    )
    assert response["Location"] == url("procedures", world, visit.code)
    visit.refresh_from_db()

    response = staff_client.get(url("procedures", world, visit.code) + "?event=moving-in")
    page = response.content.decode()
    assert page.count('name="procedures"') == 3 and page.count(" checked") == 3
    assert "転入のご案内" not in page  # without one-stop rules: the life event's procedures with a form
    p = world["p"]
    response = staff_client.post(
        url("procedures", world, visit.code),
        {"procedures": [p["tennyu"].pk, p["kokuho"].pk], "life_event": "moving-in"},
    )
    tennyu = item(visit, "tennyu")
    assert response["Location"] == url("item", world, visit.code, tennyu.pk)

    response = staff_client.get(url("item", world, visit.code, tennyu.pk))
    page = response.content.decode()
    assert 'value="試験"' in page and "カードから" in page
    response = staff_client.post(
        url("item", world, visit.code, tennyu.pk),
        {**counter.item_input(visit, tennyu).raw, **TENNYU_ENTRY, "moved_on": "あした"},
    )
    assert response.status_code == 400
    assert "異動日" in response.content.decode()
    response = staff_client.post(
        url("item", world, visit.code, tennyu.pk), {**counter.item_input(visit, tennyu).raw, **TENNYU_ENTRY}
    )
    kokuho = item(visit, "kokuho")
    assert response["Location"] == url("item", world, visit.code, kokuho.pk)
    page = staff_client.get(url("item", world, visit.code, kokuho.pk)).content.decode()
    assert "他の手続から" in page and 'value="090-1234-5678"' in page

    response = staff_client.post(url("request_confirmation", world, visit.code))
    response = staff_client.get(url("visit", world, visit.code))
    assert "国民健康保険の加入届」の入力がまだ" in response.content.decode()
    visit.refresh_from_db()
    staff_client.post(
        url("item", world, visit.code, kokuho.pk), {**counter.item_input(visit, kokuho).raw, "confirm": "on"}
    )
    staff_client.post(url("request_confirmation", world, visit.code))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMING
    page = staff_client.get(url("visit", world, visit.code)).content.decode()
    confirm_path = reverse("counter_public:confirm", args=[visit.confirm_token])
    assert confirm_path in page and "yakusho/counter.js" in page
    status = staff_client.get(url("status", world, visit.code)).json()
    assert status == {"status": "confirming", "status_label": "本人確認待ち", "confirmed": False}

    resident = Client()
    page = resident.get(confirm_path).content.decode()
    assert "この内容で申請する" in page and "国民健康保険の加入届" in page and "2026" in page
    response = resident.post(confirm_path, {"answer": "confirm"})
    assert response.status_code == 302
    assert "ご確認ありがとうございました" in resident.get(confirm_path).content.decode()
    assert staff_client.get(url("status", world, visit.code)).json()["confirmed"] is True

    response = staff_client.post(url("finish", world, visit.code))
    assert response["Location"] == url("done", world, visit.code)
    page = staff_client.get(url("done", world, visit.code)).content.decode()
    assert Submission.objects.filter(channel="counter").count() == 2
    for s in Submission.objects.all():
        assert reverse("inbox:detail", args=[world["town"].slug, s.pk]) in page
    assert url("paper", world, visit.code) in page
    pdf = staff_client.get(url("paper", world, visit.code))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    staff_client.post(url("finish", world, visit.code))
    assert Submission.objects.count() == 2
    assert resident.get(confirm_path).status_code == 404  # the token dies with the finish


def test_the_resident_can_ask_for_a_correction(world, staff_client: Client) -> None:
    visit = visit_with_items(world)
    complete_all(visit)
    token = counter.request_confirmation(visit)
    response = Client().post(reverse("counter_public:confirm", args=[token]), {"answer": "correct"})
    assert "訂正をお伝えしました" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.OPEN
    assert Client().get(reverse("counter_public:confirm", args=[token])).status_code == 404
    assert Client().get(reverse("counter_public:confirm", args=["x" * 43])).status_code == 404


def test_administrators_configure_the_one_stop_rules(world, client: Client) -> None:
    admin = MembershipFactory(municipality=world["town"], role=Role.ADMIN)
    login_verified(client, admin.user)
    p = world["p"]
    edit = url("one_stop_edit", world, "moving-in")
    response = client.post(edit, {f"use_{p['kokuho'].pk}": "on", f"order_{p['kokuho'].pk}": "x"})
    assert response.status_code == 400
    assert "「国民健康保険の加入届」の表示順は0〜999の整数" in response.content.decode()
    assert not OneStopRule.objects.exists()
    response = client.post(
        edit,
        {
            f"use_{p['kokuho'].pk}": "on",
            f"order_{p['kokuho'].pk}": "2",
            f"use_{p['tennyu'].pk}": "on",
            f"order_{p['tennyu'].pk}": "1",
        },
    )
    assert response.status_code == 302
    assert [x.key for x in counter.proposals(world["town"], "moving-in")] == ["tennyu", "kokuho"]
    page = client.get(url("one_stop", world)).content.decode()
    assert "転入届、国民健康保険の加入届" in page
    assert client.get(url("one_stop_edit", world, "no-such-event")).status_code == 404
