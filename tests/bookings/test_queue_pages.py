"""Pages of the queue tickets: kiosk, print, the resident's page and JSON, the hall's screen, staff."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.bookings.queue_helpers import make_service, members, on_a_business_day, served
from tests.factories import MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.bookings.queue import services as queue
from yakusho.bookings.queue.models import QueueService, QueueTicket, TicketStatus
from yakusho.core.ui import panels

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(monkeypatch):
    made = make_service(location="本庁舎 1階")
    on_a_business_day(monkeypatch, made.municipality)
    return made


def links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]*)"', html)


def kiosk_issue(client: Client, service: QueueService):
    return client.post(reverse("queue:kiosk_issue", args=[service.municipality.slug, service.key]))


def test_kiosk_issues_a_ticket_and_shows_it_with_a_qr_code(client: Client, service) -> None:
    page = client.get(reverse("queue:kiosk", args=[service.municipality.slug]))
    assert "住民窓口" in page.content.decode()
    response = kiosk_issue(client, service)
    ticket = QueueTicket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "queue:kiosk_ticket", args=[service.municipality.slug, ticket.code]
    )
    html = client.get(response["Location"]).content.decode()
    assert "A001" in html and "<svg" in html and "待ち時間の目安" in html
    assert reverse("queue:ticket", args=[service.municipality.slug, ticket.code]) in html
    assert "<script>" not in html and "style=" not in html.replace("<svg", "").split("<svg")[0]
    # the staff's print page shows the same ticket inside the site's layout
    printed = client.get(reverse("queue:ticket_print", args=[service.municipality.slug, ticket.code]))
    assert "A001" in printed.content.decode() and 'class="site-header"' in printed.content.decode()


def test_kiosk_pages_have_no_way_out_and_reset_themselves(client: Client, service) -> None:
    """No header, footer, logo link or language switcher; every link stays in the kiosk; the
    ticket's screen returns to the start by itself, without JavaScript too."""
    slug = service.municipality.slug
    kiosk = reverse("queue:kiosk", args=[slug])
    start = client.get(kiosk).content.decode()
    ticket_page = client.get(kiosk_issue(client, service)["Location"]).content.decode()
    for html in (start, ticket_page):
        assert "site-header" not in html and "site-footer" not in html and "lang-switch" not in html
        assert all(href.startswith(kiosk) for href in links(html)), links(html)
        assert all(a.startswith(kiosk) for a in re.findall(r'<form [^>]*action="([^"]*)"', html))
    assert links(start) == [] and links(ticket_page) == [kiosk]
    assert f'<noscript><meta http-equiv="refresh" content="45;url={kiosk}"></noscript>' in ticket_page
    assert 'data-screen-return="45"' in ticket_page and "45秒後に最初の画面に戻ります。" in ticket_page
    assert 'data-screen-forget="' in ticket_page and 'src="/static/yakusho/screen.js"' in ticket_page
    assert re.search(r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>', start)


def test_the_kiosk_shows_the_qr_code_only_just_after_issuing(client: Client, service) -> None:
    """The QR code leads to the resident's page (where the ticket can be cancelled): a reload or the
    browser's Back some time later shows the number alone."""
    url = kiosk_issue(client, service)["Location"]
    ticket = QueueTicket.objects.get()
    QueueTicket.objects.filter(pk=ticket.pk).update(
        issued_at=ticket.issued_at - timedelta(seconds=queue.KIOSK_QR_SECONDS + 1)
    )
    html = client.get(url).content.decode()
    assert "A001" in html and "<svg" not in html and ticket.code not in html.replace(url, "")
    assert "QRコードの表示は終わりました。順番が来たら、受付番号でお呼びします。" in html


def test_kiosk_out_of_hours_says_when_it_opens_next(client: Client, service) -> None:
    service.opens_at, service.closes_at = time(0, 0), time(0, 1)
    service.save()
    other = make_service(service.municipality, key="tax", name="申告相談", prefix="S")
    slug = service.municipality.slug
    html = client.get(reverse("queue:kiosk", args=[slug])).content.decode()
    # one service open: its button, and the other's next opening
    assert reverse("queue:kiosk_issue", args=[slug, other.key]) in html
    assert reverse("queue:kiosk_issue", args=[slug, service.key]) not in html
    assert "受付時間外の窓口" in html
    now = timezone.now()
    opening = queue.opening_text(queue.next_opening(service, now), now)
    assert re.fullmatch(r"次の受付は\d+月\d+日（[月火水木金]）0時からです。", opening)
    assert opening in html
    # every service closed, opening at the same time: one sentence
    other.opens_at, other.closes_at = time(0, 0), time(0, 1)
    other.save()
    html = client.get(reverse("queue:kiosk", args=[slug])).content.decode()
    assert "ただいま受付時間外です。" in html and html.count(opening) == 1
    assert "<form" not in html and "受付時間外の窓口" not in html


def test_kiosk_outside_hours_says_so_and_issues_nothing(client: Client, service) -> None:
    service.opens_at, service.closes_at = time(0, 0), time(0, 1)
    service.save()
    response = kiosk_issue(client, service)
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "「住民窓口」の受付時間は00:00〜00:01です。次の受付は" in html
    assert not QueueTicket.objects.exists()


def test_resident_page_and_json_tell_position_and_wait_in_words(client: Client, service) -> None:
    tickets = [queue.issue_ticket(service, channel="kiosk") for _ in range(3)]
    slug = service.municipality.slug
    html = client.get(reverse("queue:ticket", args=[slug, tickets[2].code])).content.decode()
    assert "A003" in html and "あなたの前に2人お待ちです。" in html and "約10分" in html
    assert 'src="/static/yakusho/queue.js"' in html and "<noscript>" in html
    data = client.get(reverse("queue:ticket_status", args=[slug, tickets[2].code])).json()
    assert data["number"] == "A003" and data["ahead"] == 2 and data["status"] == "waiting"
    assert data["estimate_text"] == "待ち時間の目安：約10分"
    assert client.get(reverse("queue:ticket_status", args=[slug, "ACEFHJK3"])).status_code == 404
    assert client.get(reverse("queue:ticket_status", args=[slug, "nonsense"])).status_code == 404


def test_the_resident_reads_where_to_go_once_called_and_nothing_twice(client: Client, service) -> None:
    first, second = (queue.issue_ticket(service, channel="kiosk") for _ in range(2))
    slug = service.municipality.slug

    def said(ticket: QueueTicket) -> list[str]:
        """The sentences of the page's live region, as a screen reader reads it."""
        html = client.get(reverse("queue:ticket", args=[slug, ticket.code])).content.decode()
        found = re.search(r'aria-live="polite"[^>]*>(.*?)</div>', html, re.S)
        assert found is not None
        region = found[1]
        region = re.sub(r"<p[^>]* hidden>.*?</p>", "", region)
        return [t.strip() for t in re.sub(r"<[^>]+>", "\n", region).splitlines() if t.strip()]

    assert said(first) == [
        "…",
        "お待ちください",
        "次にお呼びします。",  # not 「まもなくお呼びします。」 as well
        "お呼びするときは、行き先の窓口をこの画面でお知らせします。",
    ]
    assert said(second)[2:4] == ["あなたの前に1人お待ちです。", "待ち時間の目安：約5分"]
    queue.call_next(service, "窓口2", members(service)["counter"])
    called = said(first)
    assert called == ["▶", "呼出中", "本庁舎 1階の窓口2へお越しください。"]
    data = client.get(reverse("queue:ticket_status", args=[slug, first.code])).json()
    assert (data["message"], data["window"], data["position_text"]) == (called[2], "窓口2", "")
    queue.transition(first, "start", membership=members(service)["admin"])
    assert said(first) == ["■", "対応中", "本庁舎 1階の窓口2で対応しています。"]


def test_a_ticket_of_another_municipality_is_not_found(client: Client, service) -> None:
    ticket = queue.issue_ticket(service, channel="kiosk")
    elsewhere = MunicipalityFactory()
    assert client.get(reverse("queue:ticket", args=[elsewhere.slug, ticket.code])).status_code == 404


def test_resident_cancels_from_the_phone(client: Client, service) -> None:
    ticket = queue.issue_ticket(service, channel="kiosk")
    slug = service.municipality.slug
    response = client.post(reverse("queue:ticket_cancel", args=[slug, ticket.code]))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CANCELLED
    assert "整理券を取り消しました" in client.get(response["Location"]).content.decode()


def test_json_endpoints_take_a_fixed_number_of_queries(client: Client, service) -> None:
    served(service, "2026-02-13", [60] * 30)
    slug = service.municipality.slug
    counts: list[tuple[int, int]] = []
    for extra in (3, 40):
        for _ in range(extra):
            queue.issue_ticket(service, channel="kiosk")
        last = QueueTicket.objects.filter(status="waiting").order_by("-number").first()
        assert last is not None
        staff = members(service)["counter"] if not counts else None
        if staff:
            queue.call_next(service, "窓口1", staff)
        with CaptureQueriesContext(connection) as ticket_queries:
            assert client.get(reverse("queue:ticket_status", args=[slug, last.code])).status_code == 200
        with CaptureQueriesContext(connection) as display_queries:
            assert client.get(reverse("queue:display_data", args=[slug])).status_code == 200
        counts.append((len(ticket_queries), len(display_queries)))
    assert counts[0] == counts[1], counts


def test_display_shows_calls_with_their_windows(client: Client, service) -> None:
    staff = members(service)
    for _ in range(3):
        queue.issue_ticket(service, channel="kiosk")
    queue.call_next(service, "窓口2", staff["counter"])
    slug = service.municipality.slug
    data = client.get(reverse("queue:display_data", args=[slug])).json()
    row = data["services"][0]
    assert row["waiting"] == 2
    assert [(c["number"], c["window"], c["status_label"]) for c in row["calling"]] == [
        ("A001", "窓口2", "呼出中")
    ]
    assert data["recent"][0]["number"] == "A001"
    html = client.get(reverse("queue:display", args=[slug])).content.decode()
    assert 'aria-live="assertive"' in html and "A001" in html and "窓口2" in html


def test_staff_call_act_and_issue_from_the_board(client: Client, service) -> None:
    staff = members(service)
    slug = service.municipality.slug
    queue.issue_ticket(service, channel="kiosk")
    login_verified(client, staff["counter"].user)
    board = reverse("queue_staff:board", args=[slug, service.key])
    response = client.post(reverse("queue_staff:call_next", args=[slug, service.key]), {"window": "窓口1"})
    assert response["Location"] == board
    ticket = QueueTicket.objects.get()
    assert ticket.status == TicketStatus.CALLED
    html = client.get(board).content.decode()
    assert "A001番の方を窓口1へ呼び出しました。" in html and "対応を始める" in html
    client.post(reverse("queue_staff:action", args=[slug, service.key, ticket.pk, "finish"]))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SERVED
    response = client.post(
        reverse("queue_staff:action", args=[slug, service.key, ticket.pk, "skip"]), follow=True
    )
    assert "「対応済み」の整理券（A001）には、「不在にする」はできません。" in response.content.decode()
    response = client.post(reverse("queue_staff:issue", args=[slug, service.key]))
    assert QueueTicket.objects.count() == 2 and "/print/" in response["Location"]


def test_a_called_ticket_starts_a_counter_visit_that_arrived_when_the_ticket_was_taken(
    client: Client, service
) -> None:
    from django.utils import timezone

    from yakusho.procedures.models.counter import CounterVisit

    staff = members(service)
    slug = service.municipality.slug
    ticket = queue.issue_ticket(service, channel="kiosk")
    login_verified(client, staff["counter"].user)
    client.post(reverse("queue_staff:call_next", args=[slug, service.key]), {"window": "窓口1"})
    html = client.get(reverse("queue_staff:board", args=[slug, service.key])).content.decode()
    issued = timezone.localtime(ticket.issued_at).strftime("%H:%M")
    link = reverse("counter:home", args=[slug]) + f"?arrived={issued}&amp;ticket=A001"
    assert link in html and "A001番の方を書かない窓口で受け付ける" in html
    page = client.get(link.replace("&amp;", "&")).content.decode()
    assert "整理券 A001番の方です。" in page and f'value="{issued}"' in page
    response = client.post(reverse("counter:home", args=[slug]), {"arrived": issued})
    assert response.status_code == 302
    visit = CounterVisit.objects.get()
    assert timezone.localtime(visit.arrived_at).strftime("%H:%M") == issued
    # a role without the counter does not get the link
    client.logout()
    login_verified(client, staff["hq"].user)
    html = client.get(reverse("queue_staff:board", args=[slug, service.key])).content.decode()
    assert "書かない窓口で受け付ける" not in html


def test_readers_see_the_board_but_may_not_act(client: Client, service) -> None:
    staff = members(service)
    slug = service.municipality.slug
    queue.issue_ticket(service, channel="kiosk")
    login_verified(client, staff["hq"].user)
    html = client.get(reverse("queue_staff:board", args=[slug, service.key])).content.decode()
    assert "次の方を呼ぶ" not in html and "窓口職員・担当課の職員・管理者が行います" in html
    assert (
        client.post(
            reverse("queue_staff:call_next", args=[slug, service.key]), {"window": "窓口1"}
        ).status_code
        == 403
    )
    assert QueueTicket.objects.get().status == TicketStatus.WAITING


def test_another_municipalitys_admin_is_refused(client: Client, service) -> None:
    queue.issue_ticket(service, channel="kiosk")
    other = MembershipFactory(municipality=MunicipalityFactory(), role="admin")
    login_verified(client, other.user)
    slug = service.municipality.slug
    assert client.get(reverse("queue_staff:board", args=[slug, service.key])).status_code == 403
    assert (
        client.post(
            reverse("queue_staff:call_next", args=[slug, service.key]), {"window": "窓口1"}
        ).status_code
        == 403
    )
    # through their own municipality's URL, the other service is not found
    own = other.municipality.slug
    assert client.get(reverse("queue_staff:board", args=[own, service.key])).status_code == 404
    ticket = QueueTicket.objects.get()
    url = reverse("queue_staff:action", args=[own, service.key, ticket.pk, "call"])
    assert client.post(url, {"window": "窓口1"}).status_code == 404
    assert QueueTicket.objects.get().status == TicketStatus.WAITING


def test_service_form_refuses_bad_input_in_japanese_and_saves_nothing(client: Client, service) -> None:
    admin = members(service)["admin"]
    login_verified(client, admin.user)
    url = reverse("queue_staff:service_create", args=[service.municipality.slug])
    data = {
        "name": "申告相談",
        "key": "counter",
        "kind": "tax_consultation",
        "prefix": "ｓ",
        "opens_at": "15:00",
        "closes_at": "09:00",
        "default_service_minutes": "15",
        "order": "0",
        "windows_text": "窓口1、窓口1",
        "is_active": "on",
    }
    html = client.post(url, data).content.decode()
    assert "識別子「counter」の窓口はすでにあります。" in html
    assert "受付終了は受付開始より後の時刻にしてください。" in html
    assert "窓口の名前が重複しています。" in html
    assert QueueService.objects.count() == 1
    data |= {"key": "tax", "closes_at": "16:00", "windows_text": "相談1、相談2\n相談3"}
    response = client.post(url, data)
    created = QueueService.objects.get(key="tax")
    assert response.status_code == 302
    assert (created.prefix, created.windows, created.municipality) == (
        "S",
        ["相談1", "相談2", "相談3"],
        service.municipality,
    )


def test_staff_home_panel_lists_todays_queues(client: Client, service) -> None:
    staff = members(service)
    queue.issue_ticket(service, channel="kiosk")
    panel = {p.key: p for p in panels.all()}["bookings.queues_today"]
    context = panel.func(staff["counter"])
    assert context is not None and context["rows"][0]["waiting"] == 1
    login_verified(client, staff["counter"].user)
    html = client.get(reverse("staff:home")).content.decode()
    assert "本日の整理券" in html and re.search(r"住民窓口</a>：お待ち 1人", html)
