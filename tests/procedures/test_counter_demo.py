"""Demo counter visits of past days (``procedures.counter_demo_visits``): the same figures every
load, nothing twice, times inside opening hours on business days, each finished item linked to a
counter submission the real counter would make from the same answers, no mail, and the counter
metrics (and so the KPIs bound to them) give figures.

The set-up is the demo's core data (municipalities, staff) with the 大江町 and 美郷町 procedure
files; ``TODAY`` is fixed so that the 120 business days before it cross a fiscal year
(2025-12 … 2026-05: 令和7年度 and 令和8年度)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Municipality, OutboundEmail
from yakusho.metrics.registry import Period, registry
from yakusho.procedures.catalogue.files import import_file
from yakusho.procedures.catalogue.reference import sync_priority_procedures
from yakusho.procedures.catalogue.services import add_form_definition, definition_of
from yakusho.procedures.counter import services as counter
from yakusho.procedures.demo import counter_visits as counter_demo_visits
from yakusho.procedures.demo.counter_scenarios import CERTIFICATES
from yakusho.procedures.demo.counter_visits import DAYS, load_demo_visits
from yakusho.procedures.models import FormDefinition
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem, VisitStatus
from yakusho.procedures.models.submissions import Submission, SubmissionChannel, SubmissionStatus

TODAY = date(2026, 6, 1)  # a Monday
FY2025, FY2026 = Period.fiscal_year(2025), Period.fiscal_year(2026)
#: what a load on TODAY makes (drawn with fixed seeds: a change here is a change of the demo)
EXPECTED = {"oe": (415, 542), "misato": (91, 156)}  # (visits, submissions)


@pytest.fixture
def towns(demo) -> dict[str, Municipality]:
    sync_priority_procedures()
    for slug in ("oe", "misato"):
        import_file(Path(settings.DATA_DIR) / "procedures" / f"{slug}.yaml")
    return {m.slug: m for m in Municipality.objects.filter(slug__in=["oe", "misato"])}


def visits_of(town: Municipality) -> Any:
    return CounterVisit.objects.for_municipality(town)


def counter_submissions(town: Municipality) -> Any:
    return Submission.objects.for_municipality(town).filter(channel=SubmissionChannel.COUNTER)


def test_the_same_figures_every_load_and_nothing_twice(towns) -> None:
    result = load_demo_visits(TODAY)
    counts = {
        slug: (visits_of(town).count(), counter_submissions(town).count()) for slug, town in towns.items()
    }
    assert counts == EXPECTED
    assert (result.visits, result.submissions) == (
        sum(v for v, _s in EXPECTED.values()),
        sum(s for _v, s in EXPECTED.values()),
    )
    again = load_demo_visits(TODAY)
    assert (again.visits, again.submissions) == (0, 0)
    assert {
        slug: (visits_of(town).count(), counter_submissions(town).count()) for slug, town in towns.items()
    } == EXPECTED
    # A day later only the new past day gets visits; the days loaded before are left alone.
    before = Counter(timezone.localdate(a) for a in CounterVisit.objects.values_list("arrived_at", flat=True))
    later = load_demo_visits(TODAY + timedelta(days=1))
    after = Counter(timezone.localdate(a) for a in CounterVisit.objects.values_list("arrived_at", flat=True))
    assert later.visits == after[TODAY] > 0
    assert after - Counter({TODAY: after[TODAY]}) == before


def test_how_staff_handled_each_submission_does_not_hang_on_the_random_codes(towns) -> None:
    """Visit and submission codes are random; what became of each submission is drawn from what the
    plan fixed, so a second load after a wipe hands every submission the same fate."""

    def fates() -> list[tuple[Any, ...]]:
        rows = Submission.objects.filter(channel=SubmissionChannel.COUNTER).values_list(
            "submitted_at", "procedure__key", "status", "completed_at"
        )
        return sorted(rows, key=lambda r: (r[0], r[1], r[2], r[3] or r[0]))

    load_demo_visits(TODAY)
    first, codes = fates(), set(Submission.objects.values_list("code", flat=True))
    CounterVisitItem.objects.all().delete()
    CounterVisit.objects.all().delete()
    Submission.objects.filter(channel=SubmissionChannel.COUNTER).delete()
    load_demo_visits(TODAY)
    assert set(Submission.objects.values_list("code", flat=True)) != codes
    assert fates() == first
    assert any(status == SubmissionStatus.RECEIVED for _at, _key, status, _done in first)


def test_visits_on_business_days_inside_opening_hours(towns) -> None:
    load_demo_visits(TODAY)
    for town in towns.values():
        calendar = BusinessCalendar(town)
        visits = list(visits_of(town))
        days = {timezone.localdate(v.arrived_at) for v in visits}
        assert all(calendar.is_business_day(d) for d in days)
        assert max(days) < TODAY and len(days) <= DAYS
        assert len(days) > DAYS * (0.9 if town.slug == "oe" else 0.4)
        for v in visits:
            local = timezone.localtime(v.arrived_at)
            opens = local.replace(hour=town.office_opens.hour, minute=town.office_opens.minute, second=0)
            closes = local.replace(hour=town.office_closes.hour, minute=town.office_closes.minute, second=0)
            end = v.finished_at or v.abandoned_at
            assert end is not None and v.started_at is not None
            assert opens <= v.arrived_at <= v.started_at < end <= closes, v.code
            minutes = (end - v.started_at).total_seconds() / 60
            if v.status == VisitStatus.FINISHED:
                assert v.confirmed_at is not None and v.started_at < v.confirmed_at < v.finished_at
                limits = (20, 70) if v.life_event == "moving-in" else (5, 25)
                assert limits[0] <= minutes <= limits[1], v.code
            else:
                assert v.status == VisitStatus.ABANDONED and v.confirmed_at is None and minutes <= 15


def test_finished_items_are_what_the_counter_makes_and_personal_data_is_erased(towns) -> None:
    mails = OutboundEmail.objects.count()
    load_demo_visits(TODAY)
    assert OutboundEmail.objects.count() == mails  # no e-mail address, no receipt mail
    statuses = Counter(CounterVisit.objects.values_list("status", flat=True))
    assert statuses[VisitStatus.FINISHED] > 0 and statuses[VisitStatus.ABANDONED] > 0
    assert set(statuses) == {VisitStatus.FINISHED, VisitStatus.ABANDONED}
    for v in CounterVisit.objects.prefetch_related("items__submission", "items__procedure"):
        # what yakusho discard-counter-visits leaves of a past visit
        assert v.identity == {} and v.facts == {} and v.confirm_token == ""
        items = list(v.items.all())
        assert items
        assert v.staff is not None and v.staff.email == "counter@example.jp"
        for item in items:
            assert item.answers == {} and item.cleaned == {}
            assert item.form is not None and item.form.procedure_id == item.procedure_id
            if v.status == VisitStatus.ABANDONED:
                assert item.submission is None
                continue
            s = item.submission
            assert s is not None and item.complete
            assert s.channel == SubmissionChannel.COUNTER and s.submitted_at == v.finished_at
            assert s.idempotency_key == counter.idempotency_key(v, item)
            assert (s.procedure_id, s.form_id, s.form_version) == (
                item.procedure_id,
                item.form_id,
                item.form.version,
            )
            assert s.applicant_name.startswith("デモ ") and s.applicant_kana.startswith("デモ ")
            assert s.applicant_email == ""
            if item.procedure.issues_certificate:
                assert s.status == SubmissionStatus.COMPLETED and s.fee_yen == 300 * s.data["copies"]
            if s.status == SubmissionStatus.COMPLETED:
                assert s.completed_at is not None and s.completed_at > s.submitted_at
                assert timezone.localdate(s.completed_at) < TODAY
            else:
                assert s.completed_at is None
    assert Submission.objects.filter(status=SubmissionStatus.RECEIVED).exists()  # the latest wait
    # Through the real counter (identify, choose, save, confirm, finish) with the answers of one
    # demo submission per procedure (水道 aside: its start date must lie ahead of the real today).
    checked = set()
    for s in counter_submissions(towns["oe"]).exclude(procedure__key="suido-kaishi").select_related("form"):
        if s.procedure_id in checked:
            continue
        checked.add(s.procedure_id)
        raw, _files = definition_of(s.form).to_input(s.data)
        visit = counter.start_visit(s.municipality, None)
        counter.identify(
            visit,
            "manual",
            {
                "name": "デモ 花子",
                "name_kana": "デモ ハナコ",
                "address": "山形県西村山郡大江町大字左沢1-1",
                "birth_date": "1985-04-01",
                "sex": "女",
            },
        )
        counter.set_procedures(visit, [s.procedure_id])
        item = visit.items.get()
        assert counter.save_item(visit, item, raw).ok
        counter.request_confirmation(visit)
        counter.resident_confirms(visit)
        (made,) = counter.finish(visit)
        fields: tuple[str, ...] = ("procedure_id", "form_id", "form_version", "data", "channel")
        fields += ("applicant_name", "applicant_kana", "applicant_email", "fee_yen")
        assert {f: getattr(made, f) for f in fields} == {f: getattr(s, f) for f in fields}
    assert len(checked) == 7


def test_the_counter_metrics_give_figures_for_both_fiscal_years(towns) -> None:
    load_demo_visits(TODAY)
    oe, misato = towns["oe"], towns["misato"]
    for period in (FY2025, FY2026):
        for town in (oe, misato):
            assert (registry.measure("procedures.counter_visits", town, period).value or 0) > 0
            assert (registry.measure("procedures.submissions_counter", town, period).value or 0) > 0
            median = registry.measure("procedures.counter_handling_minutes_median", town, period).value
            assert median is not None and 5 <= median <= 70
        # 大江町's KPI 窓口申請システムでの証明書発行部数: the copies of its certificates
        copies = sum(
            s.data["copies"]
            for s in counter_submissions(oe).filter(
                procedure__key__in=CERTIFICATES,
                submitted_at__date__gte=period.start,
                submitted_at__date__lte=period.end,
            )
        )
        assert registry.measure("procedures.counter_certificates", oe, period).value == copies > 0
        assert registry.measure("procedures.counter_certificates", misato, period).value == 0
    per_visit = registry.measure("procedures.counter_procedures_per_visit", misato, FY2026).value
    assert per_visit is not None and per_visit > 1  # 転入 one-stop visits only


def test_only_the_demo_towns_and_each_visit_stays_in_its_town(towns) -> None:
    Municipality.objects.filter(slug="misato").update(slug="misato-renamed")  # a missing town: skipped
    other = MunicipalityFactory(slug="cnt-demo", is_demo=True)
    p = make_procedure(other, DepartmentFactory(municipality=other), "juminhyo-koufu", "住民票の写し")
    oe_form = FormDefinition.objects.get(procedure__municipality=towns["oe"], procedure__key="juminhyo-koufu")
    add_form_definition(p, oe_form.definition)
    line = counter_demo_visits.demo_loaded_receiver(sender=None)
    assert not CounterVisit.objects.exclude(municipality=towns["oe"]).exists()
    assert not Submission.objects.exclude(municipality=towns["oe"]).exists()
    visits, submissions = CounterVisit.objects.count(), Submission.objects.count()
    assert visits > 0
    assert line == f"Counter: {visits} demo visits of past days ({submissions} submissions)."
    for item in CounterVisitItem.objects.select_related("visit", "procedure", "form", "submission"):
        town = item.municipality_id
        assert item.visit.municipality_id == item.procedure.municipality_id == town
        assert item.form is not None and item.form.municipality_id == town
        assert item.submission is None or item.submission.municipality_id == town
