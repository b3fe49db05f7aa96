"""External evaluation (外部評価・有識者会議, issue 17): the DX推進室 and the administrator enter,
edit and delete comments about a cycle or one of its items, with the body and the date (和暦 or
西暦, within sensible bounds); every error at once in Japanese naming the field, nothing saved;
department, hq and counter staff read them only; the audit trail; tenancy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import MunicipalityFactory
from tests.plans.test_report import YEAR, _make_plan
from yakusho.core.jcal import format_wareki_date
from yakusho.core.models import Role
from yakusho.plans.models import ExternalEvaluation, Node, ReviewCycle
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db

EDITORS = (Role.SECRETARIAT, Role.ADMIN)
READERS = (Role.DEPARTMENT, Role.HQ, Role.COUNTER)
BODY = "外部評価委員会"


@pytest.fixture
def cycle() -> ReviewCycle:
    edition, _nodes = _make_plan(MunicipalityFactory(slug="outside-town", name="外部町"))
    return open_cycle(edition, YEAR, date(2025, 5, 30))


def list_url(cycle: ReviewCycle) -> str:
    return reverse("reviews:external", args=[cycle.municipality.slug, cycle.pk])


def edit_url(e: ExternalEvaluation, name: str = "reviews:external_edit") -> str:
    return reverse(name, args=[e.municipality.slug, e.cycle_id, e.pk])


def node(cycle: ReviewCycle, key: str = "p1") -> Node:
    return cycle.edition.nodes.get(key=key)


def entered(cycle: ReviewCycle, *, node_id: int | None = None, text: str = "意見") -> ExternalEvaluation:
    return ExternalEvaluation.objects.create(
        municipality=cycle.municipality,
        cycle=cycle,
        node_id=node_id,
        body=BODY,
        date=date(2025, 8, 20),
        text=text,
    )


@pytest.mark.parametrize("role", EDITORS)
def test_comments_on_the_cycle_and_on_an_item_with_body_and_date(
    cycle: ReviewCycle, client: Client, signed_in, role: str
) -> None:
    signed_in(cycle.municipality, role)
    whole = {"node": "whole", "body": BODY, "date": "令和7年8月20日", "text": "全体として順調"}
    assert client.post(list_url(cycle), whole).status_code == 302
    item = {
        "node": str(node(cycle).pk),
        "body": "有識者会議",
        "date": "R7.9.1",
        "text": "窓口の電子化を急ぐこと",
    }
    assert client.post(list_url(cycle), item).status_code == 302
    rows = list(ExternalEvaluation.objects.filter(cycle=cycle).order_by("date"))
    assert [(r.node_id, r.body, r.date, r.text) for r in rows] == [
        (None, BODY, date(2025, 8, 20), "全体として順調"),
        (node(cycle).pk, "有識者会議", date(2025, 9, 1), "窓口の電子化を急ぐこと"),
    ]
    assert all(r.entered_by is not None and r.municipality_id == cycle.municipality_id for r in rows)
    assert all(
        LogEntry.objects.get_for_object(r).filter(action=LogEntry.Action.CREATE).exists() for r in rows
    )
    page = client.get(list_url(cycle)).content.decode()
    whole_part = page[page.index("計画全体への意見") : page.index("項目ごとの意見")]
    assert "外部評価委員会（令和7年8月20日）" in whole_part and "全体として順調" in whole_part
    assert "P1 項目p1の取組：有識者会議（令和7年9月1日）" in page
    assert "None" not in page


def test_editing_and_deleting_leave_a_trail(cycle: ReviewCycle, client: Client, signed_in) -> None:
    signed_in(cycle.municipality, Role.SECRETARIAT)
    e = entered(cycle)
    page = client.get(edit_url(e)).content.decode()
    assert 'value="令和7年（2025年）8月20日"' in page and BODY in page
    changed = {"node": str(node(cycle, "p2").pk), "body": BODY, "date": "2025-10-01", "text": "直した意見"}
    assert client.post(edit_url(e), changed).status_code == 302
    e.refresh_from_db()
    assert (e.node_id, e.date, e.text) == (node(cycle, "p2").pk, date(2025, 10, 1), "直した意見")
    assert LogEntry.objects.get_for_object(e).filter(action=LogEntry.Action.UPDATE).exists()
    history = client.get(edit_url(e)).content.decode().split('id="external-history-h"')[1]
    assert "意見" in history and "直した意見" in history and "None" not in history

    assert client.get(edit_url(e, "reviews:external_delete")).status_code == 200
    assert client.post(edit_url(e, "reviews:external_delete")).status_code == 302
    assert not ExternalEvaluation.objects.filter(pk=e.pk).exists()
    assert LogEntry.objects.filter(object_pk=str(e.pk), action=LogEntry.Action.DELETE).exists()
    history = client.get(list_url(cycle)).content.decode().split('id="external-history-h"')[1]
    assert "削除" in history and "直した意見" in history


def test_every_error_at_once_in_japanese_and_nothing_saved(
    cycle: ReviewCycle, client: Client, signed_in
) -> None:
    signed_in(cycle.municipality, Role.ADMIN)
    response = client.post(
        list_url(cycle), {"node": "whole", "body": " ", "date": "令和7年2月30日", "text": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[
        page.index('class="error-summary"') : page.index("</div>", page.index('class="error-summary"'))
    ]
    assert "評価した会議・委員会：評価した会議・委員会の名称を入力してください" in summary
    assert "日付：「令和7年2月30日」は存在しない日付です" in summary
    assert "意見：意見の内容を入力してください" in summary
    assert 'value="令和7年2月30日"' in page  # what was typed stays
    assert not ExternalEvaluation.objects.exists()


def _bad_dates() -> list[tuple[str, str]]:
    tomorrow = timezone.localdate() + timedelta(days=1)
    return [
        ("2024-03-31", "対象年度の初日（令和6年4月1日）から今日"),  # before the reviewed year
        (tomorrow.isoformat(), f"（入力：{format_wareki_date(tomorrow)}）"),  # not held yet
        ("平成40年1月1日", "平成は31年までです"),
        ("来週", "を日付として読み取れません"),
    ]


@pytest.mark.parametrize(("typed", "message"), _bad_dates())
def test_dates_outside_sensible_bounds_are_refused(
    cycle: ReviewCycle, client: Client, signed_in, typed: str, message: str
) -> None:
    signed_in(cycle.municipality, Role.SECRETARIAT)
    response = client.post(list_url(cycle), {"node": "whole", "body": BODY, "date": typed, "text": "意見"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "日付：" in page and message in page and f'value="{typed}"' in page
    assert not ExternalEvaluation.objects.exists()


def test_an_edit_with_a_bad_date_keeps_the_comment_as_it_was(
    cycle: ReviewCycle, client: Client, signed_in
) -> None:
    signed_in(cycle.municipality, Role.SECRETARIAT)
    e = entered(cycle, text="元の意見")
    response = client.post(
        edit_url(e), {"node": "whole", "body": "別の会議", "date": "2024-01-01", "text": "新しい意見"}
    )
    assert response.status_code == 400 and "新しい意見" in response.content.decode()
    e.refresh_from_db()
    assert (e.body, e.text, e.date) == (BODY, "元の意見", date(2025, 8, 20))


@pytest.mark.parametrize("role", READERS)
def test_department_hq_and_counter_staff_read_only(
    cycle: ReviewCycle, client: Client, signed_in, role: str
) -> None:
    e = entered(cycle, node_id=node(cycle).pk, text="読むだけの意見")
    signed_in(cycle.municipality, role)
    page = client.get(list_url(cycle)).content.decode()
    assert "読むだけの意見" in page and "表示のみ" in page
    assert 'name="body"' not in page and edit_url(e) not in page
    assert client.get(edit_url(e)).status_code == 403
    assert client.get(edit_url(e, "reviews:external_delete")).status_code == 403
    typed = {"node": "whole", "body": "勝手に", "date": "2025-08-01", "text": "勝手に"}
    assert client.post(list_url(cycle), typed).status_code == 403
    assert client.post(edit_url(e), typed).status_code == 403
    assert client.post(edit_url(e, "reviews:external_delete")).status_code == 403
    e.refresh_from_db()
    assert e.text == "読むだけの意見" and ExternalEvaluation.objects.count() == 1


def test_the_report_links_to_the_external_evaluation(cycle: ReviewCycle, client: Client, signed_in) -> None:
    signed_in(cycle.municipality, Role.HQ)
    page = client.get(reverse("reviews:report", args=[cycle.municipality.slug, cycle.pk])).content.decode()
    assert list_url(cycle) in page


def test_another_municipalitys_ids_are_not_found(cycle: ReviewCycle, client: Client, signed_in) -> None:
    e = entered(cycle)
    elsewhere = MunicipalityFactory(slug="elsewhere-outside")
    other_cycle = open_cycle(_make_plan(elsewhere)[0], YEAR, date(2025, 5, 30))
    signed_in(elsewhere, Role.ADMIN)
    assert client.get(reverse("reviews:external", args=[elsewhere.slug, cycle.pk])).status_code == 404
    assert (
        client.get(reverse("reviews:external_edit", args=[elsewhere.slug, cycle.pk, e.pk])).status_code == 404
    )
    assert (
        client.post(
            reverse("reviews:external_delete", args=[elsewhere.slug, other_cycle.pk, e.pk])
        ).status_code
        == 404
    )
    assert client.get(list_url(cycle)).status_code == 403  # not a member of that town
    # an item of another plan is not an item of this cycle
    hostile = {"node": str(node(cycle).pk), "body": BODY, "date": "2025-08-01", "text": "よその項目"}
    response = client.post(reverse("reviews:external", args=[elsewhere.slug, other_cycle.pk]), hostile)
    assert (
        response.status_code == 400 and "対象：この進捗評価の計画にない項目です" in response.content.decode()
    )
    assert ExternalEvaluation.objects.filter(text="よその項目").count() == 0
    assert ExternalEvaluation.objects.filter(pk=e.pk).exists()


def test_an_evaluation_is_found_only_under_its_own_cycle(
    cycle: ReviewCycle, client: Client, signed_in
) -> None:
    e = entered(cycle)
    second = open_cycle(cycle.edition, YEAR + 1, date(2026, 5, 30))
    signed_in(cycle.municipality, Role.ADMIN)
    assert (
        client.get(
            reverse("reviews:external_edit", args=[cycle.municipality.slug, second.pk, e.pk])
        ).status_code
        == 404
    )
    response = client.post(
        reverse("reviews:external_delete", args=[cycle.municipality.slug, second.pk, e.pk])
    )
    assert response.status_code == 404 and ExternalEvaluation.objects.filter(pk=e.pk).exists()
