"""Counter metrics (書かない窓口): visits, procedures per visit, median handling time and the
certificates issued, with the KPIs of 大江町 and 美郷町 bound to them. Visits and submissions are
made directly through the ORM."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure, minimal_form
from yakusho.metrics.registry import Period, registry
from yakusho.procedures.models import FormDefinition, Procedure
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem, VisitStatus
from yakusho.procedures.models.submissions import Submission, SubmissionChannel, SubmissionTally

FY = Period.fiscal_year(2026)  # 2026-04-01 … 2027-03-31
IN_FY = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 10:00 in Japan
CERTIFICATE_FORM = {
    **minimal_form("juminhyo"),
    "pages": [
        {
            "key": "p1",
            "title": "請求",
            "fields": [
                {"key": "kind", "type": "radio", "label": "種類", "options": [{"value": "a", "label": "A"}]},
                {
                    "key": "copies",
                    "type": "number",
                    "label": "部数",
                    "fact": "certificate.copies",
                    "min": 1,
                    "visible_when": "kind == 'a'",
                },
            ],
        }
    ],
}
_codes = iter(range(1, 10_000))


def code() -> str:
    return f"{next(_codes):07d}".translate(str.maketrans("0123456789", "ABCDEFGHJK")) + "X"


@pytest.fixture
def town(db) -> dict[str, Any]:
    town = MunicipalityFactory()
    dept = DepartmentFactory(municipality=town)
    certificate = make_procedure(town, dept, "juminhyo", "住民票の写し等の交付申請", issues_certificate=True)
    other = make_procedure(town, dept, "kokuho", "国民健康保険の加入届")
    forms = {
        "juminhyo": FormDefinition.objects.create(
            municipality=town, procedure=certificate, version=1, definition=CERTIFICATE_FORM
        ),
        "kokuho": FormDefinition.objects.create(
            municipality=town, procedure=other, version=1, definition=minimal_form("kokuho")
        ),
    }
    return {"town": town, "juminhyo": certificate, "kokuho": other, "forms": forms}


def submit(
    t: dict[str, Any],
    procedure: Procedure,
    data: dict[str, Any] | None = None,
    *,
    at: datetime = IN_FY,
    channel: str = SubmissionChannel.COUNTER,
) -> Submission:
    return Submission.objects.create(
        municipality=t["town"],
        procedure=procedure,
        form=t["forms"][procedure.key],
        form_version=1,
        data=data or {},
        channel=channel,
        code=code(),
        secret_hash="x",
        idempotency_key=code(),
        submitted_at=at,
    )


def visit(
    t: dict[str, Any],
    procedures: list[Procedure],
    *,
    minutes: float,
    finished: datetime = IN_FY,
    status: str = VisitStatus.FINISHED,
) -> CounterVisit:
    started = finished - timedelta(minutes=minutes)
    v = CounterVisit.objects.create(
        municipality=t["town"],
        code=code(),
        status=status,
        arrived_at=started - timedelta(minutes=5),
        started_at=started,
        finished_at=finished if status == VisitStatus.FINISHED else None,
        abandoned_at=finished if status == VisitStatus.ABANDONED else None,
    )
    for order, procedure in enumerate(procedures):
        submission = (
            submit(t, procedure, {"kind": "a", "copies": 1}, at=finished)
            if status == VisitStatus.FINISHED
            else None
        )
        CounterVisitItem.objects.create(
            municipality=t["town"],
            visit=v,
            procedure=procedure,
            form=t["forms"][procedure.key],
            complete=status == VisitStatus.FINISHED,
            submission=submission,
            order=order,
        )
    return v


def measure(key: str, t: dict[str, Any], period: Period = FY) -> Any:
    return registry.measure(key, t["town"], period).value


def test_nothing_yet(town) -> None:
    assert measure("procedures.counter_visits", town) == 0
    assert measure("procedures.counter_procedures_per_visit", town) is None
    assert measure("procedures.counter_handling_minutes_median", town) is None
    assert measure("procedures.counter_certificates", town) == 0


def test_visits_procedures_per_visit_and_median_handling_time(town) -> None:
    visit(town, [town["juminhyo"], town["kokuho"]], minutes=12)
    visit(town, [town["kokuho"]], minutes=20.5)
    visit(town, [town["juminhyo"], town["kokuho"]], minutes=7)
    visit(town, [town["kokuho"]], minutes=3, status=VisitStatus.ABANDONED)  # not counted
    visit(town, [town["kokuho"]], minutes=1, status=VisitStatus.OPEN)  # not counted
    # 31 March 23:00 in Japan: the fiscal year before
    visit(town, [town["kokuho"]], minutes=99, finished=datetime(2026, 3, 31, 14, 0, tzinfo=UTC))
    assert measure("procedures.counter_visits", town) == 3
    assert measure("procedures.counter_procedures_per_visit", town) == Decimal("1.7")  # 5 / 3
    assert measure("procedures.counter_handling_minutes_median", town) == Decimal("12.0")
    earlier = Period.fiscal_year(2025)
    assert measure("procedures.counter_visits", town, earlier) == 1
    assert measure("procedures.counter_handling_minutes_median", town, earlier) == Decimal("99.0")
    # 1 April 01:00 in Japan (31 March in UTC): this fiscal year, by the local date
    visit(town, [town["kokuho"]], minutes=30, finished=datetime(2026, 3, 31, 16, 0, tzinfo=UTC))
    assert measure("procedures.counter_visits", town) == 4
    assert measure("procedures.counter_handling_minutes_median", town) == Decimal("16.3")  # 16.25


def test_median_of_an_even_number_and_other_municipalities(town) -> None:
    visit(town, [town["kokuho"]], minutes=10)
    visit(town, [town["kokuho"]], minutes=15)
    other = MunicipalityFactory()
    CounterVisit.objects.create(
        municipality=other,
        code=code(),
        status=VisitStatus.FINISHED,
        arrived_at=IN_FY - timedelta(hours=1),
        started_at=IN_FY - timedelta(hours=1),
        finished_at=IN_FY,
    )
    assert measure("procedures.counter_handling_minutes_median", town) == Decimal("12.5")
    assert measure("procedures.counter_visits", town) == 2
    assert registry.measure("procedures.counter_visits", other, FY).value == 1


def test_certificates_count_copies_of_counter_submissions(town) -> None:
    submit(town, town["juminhyo"], {"kind": "a", "copies": 3})
    submit(town, town["juminhyo"], {"kind": "a", "copies": 2})
    submit(town, town["juminhyo"], {"kind": "a"})  # no copies given: 1
    submit(town, town["juminhyo"], {"copies": 5})  # the copies field was hidden: 1
    submit(
        town, town["juminhyo"], {"kind": "a", "copies": 4}, channel=SubmissionChannel.ONLINE
    )  # not counter
    submit(town, town["kokuho"], {"name": "大江"})  # not a certificate
    submit(town, town["juminhyo"], {"kind": "a", "copies": 9}, at=datetime(2026, 3, 1, tzinfo=UTC))  # FY2025
    SubmissionTally.objects.create(
        municipality=town["town"],
        procedure=town["juminhyo"],
        procedure_key="juminhyo",
        month=datetime(2026, 5, 1).date(),
        channel=SubmissionChannel.COUNTER,
        erased=2,
    )  # erased: 1 copy each
    assert measure("procedures.counter_certificates", town) == 3 + 2 + 1 + 1 + 2
    assert measure("procedures.counter_certificates", town, Period.fiscal_year(2025)) == 9
    # counter submissions (美郷町's tablet KPI) are the existing submissions figure
    assert measure("procedures.submissions_counter", town) == 5 + 2


def test_query_count_does_not_grow_with_visits_or_submissions(town) -> None:
    keys = [
        "procedures.counter_visits",
        "procedures.counter_procedures_per_visit",
        "procedures.counter_handling_minutes_median",
        "procedures.counter_certificates",
    ]

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for key in keys:
                measure(key, town)
        return len(ctx.captured_queries)

    visit(town, [town["juminhyo"]], minutes=5)
    few = queries()
    for n in range(8):
        visit(town, [town["juminhyo"], town["kokuho"]], minutes=5 + n)
    assert queries() == few


def test_providers_have_labels_and_units() -> None:
    expected = {
        "procedures.counter_visits": "件",
        "procedures.counter_procedures_per_visit": "件",
        "procedures.counter_handling_minutes_median": "分",
        "procedures.counter_certificates": "部",
    }
    for key, unit in expected.items():
        provider = registry.get(key)
        assert provider.unit == unit and provider.label_ja and provider.label_en and provider.description
