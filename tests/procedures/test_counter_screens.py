"""The resident confirms on a screen paired to the clerk's desk, or by scanning a QR code, without
typing an address; the confirmation is short, asks nothing about what they 「記入した」, and every
consent of the visit is given there (staff never tick one for the resident)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory
from tests.helpers import login_verified
from tests.procedures.test_counter import (  # noqa: F401
    complete_all,
    item,
    save_with_prefill,
    url,
    visit_with_items,
    world,
)
from yakusho.core.models import Role
from yakusho.procedures.counter import screens
from yakusho.procedures.counter import services as counter
from yakusho.procedures.models.counter import CounterScreen, VisitStatus


def _pair(world: dict[str, Any], client: Client, name: str = "1番窓口のタブレット") -> str:  # noqa: F811
    login_verified(client, world["staff"].user)
    response = client.post(url("screens", world), {"name": name})
    assert response.status_code == 200, response.content.decode()[:500]
    page = response.content.decode()
    assert "<svg" in page  # the QR code to scan with the tablet
    marker = "/counter/screen/"
    token = page.split(marker, 1)[1].split("/", 1)[0]
    return token


def test_pairing_shows_the_address_once_and_stores_only_its_digest(world, client: Client) -> None:  # noqa: F811
    token = _pair(world, client)
    screen = CounterScreen.objects.get()
    assert screen.staff == world["staff"].user and screen.name == "1番窓口のタブレット"
    assert token not in screen.token_hash and len(screen.token_hash) == 64
    listing = client.get(url("screens", world)).content.decode()
    assert "1番窓口のタブレット" in listing and token not in listing
    empty = client.post(url("screens", world), {"name": "  "})
    assert empty.status_code == 400 and "画面の名前を入力してください" in empty.content.decode()
    long = client.post(url("screens", world), {"name": "窓" * 61})
    assert long.status_code == 400 and CounterScreen.objects.count() == 1
    client.post(url("screens", world), {"remove": str(screen.pk)})
    assert not CounterScreen.objects.exists()
    assert Client().get(reverse("counter_public:screen", args=[token])).status_code == 404


def test_the_paired_screen_shows_the_clerks_visit_and_returns_to_waiting(world, client: Client) -> None:  # noqa: F811
    token = _pair(world, client)
    tablet = Client()
    screen_url = reverse("counter_public:screen", args=[token])
    waiting = tablet.get(screen_url)
    page = waiting.content.decode()
    assert waiting.status_code == 200 and "いらっしゃいませ" in page
    assert "site-header" not in page and "data-screen-reload" in page  # a bare screen, reloading itself

    visit = visit_with_items(world)
    complete_all(visit)
    counter.request_confirmation(visit)
    shown = tablet.get(screen_url)
    assert shown.status_code == 302 and f"?screen={token}" in shown["Location"]
    confirm = tablet.get(shown["Location"]).content.decode()
    assert "site-header" not in confirm and "この内容で申請する" in confirm
    assert "記入した" not in confirm
    assert "内容を確認しました（転入届）" in confirm  # the form's consent, given here
    assert 'name="screen"' in confirm
    answered = tablet.post(shown["Location"].split("?")[0], {"answer": "confirm", "screen": token})
    assert answered.status_code == 302 and answered["Location"].endswith(f"?screen={token}")
    thanks = tablet.get(answered["Location"]).content.decode()
    assert "ご確認ありがとうございました" in thanks and f'href="{screen_url}"' in thanks
    visit.refresh_from_db()
    assert visit.confirmed_at is not None
    assert tablet.get(screen_url).status_code == 200  # waiting again


def test_a_screen_shows_only_its_own_clerks_visit(world, client: Client) -> None:  # noqa: F811
    token = _pair(world, client)
    colleague = MembershipFactory(municipality=world["town"], role=Role.COUNTER).user
    visit = counter.start_visit(world["town"], colleague)
    counter.identify(
        visit, "manual", {"name": "試験 次郎", "address": "試験町1", "birth_date": "1980-01-01", "sex": "男"}
    )
    screen = screens.by_token(token)
    assert screen is not None and screens.waiting_visit(screen) is None
    assert Client().get(reverse("counter_public:screen", args=["x" * 500])).status_code == 404


def test_the_clerks_page_shows_a_qr_code_and_the_paired_screens(world, client: Client) -> None:  # noqa: F811
    _pair(world, client, "窓口2の画面")
    visit = visit_with_items(world)
    complete_all(visit)
    counter.request_confirmation(visit)
    page = client.get(url("visit", world, visit.code)).content.decode()
    assert "<svg" in page and "確認画面のQRコード" in page
    assert "つないだ画面（窓口2の画面）に確認画面を表示しています" in page


def test_staff_never_tick_a_consent_for_the_resident(world) -> None:  # noqa: F811
    visit = visit_with_items(world)
    assert save_with_prefill(visit, "tennyu", **{**TENNYU_NO_CONSENT}).ok
    tennyu = item(visit, "tennyu")
    assert tennyu.complete and tennyu.cleaned["confirm"] is True
    assert visit.status == VisitStatus.OPEN


TENNYU_NO_CONSENT = {
    "applicant-postal_code": "100-0013",
    "moved_on": "令和8年4月1日",
    "previous-postal_code": "100-0013",
    "spouse-family_name": "試験",
    "spouse-given_name": "一郎",
    "household": "3",
    "phone": "090-1234-5678",
}
