"""Screens paired to a clerk's desk: a tablet facing the resident shows, by itself, the visit of
that clerk which waits for the resident's confirmation — nobody types an address.

A clerk pairs a screen once (「確認用の画面をつなぐ」): the tablet opens the screen's address from
a QR code and keeps it open (bookmarked, in kiosk mode). The address carries an unguessable token;
only its SHA-256 is stored. The screen's page reloads itself every few seconds; when the clerk
asks for the resident's confirmation it leads to the confirmation page, and back to waiting once
the resident has answered.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core.models import Municipality, User
from yakusho.procedures.models.counter import CounterScreen, CounterVisit, VisitStatus

#: how often the waiting screen looks for a visit to confirm (seconds)
RELOAD_SECONDS = 4
NAME_MAX = 60


class ScreenError(Exception):
    """A refused pairing, with a message for staff."""


def _digest(token: str) -> str:
    return hashlib.sha256(f"yakusho.counter-screen:{token}".encode()).hexdigest()


def screens_of(municipality: Municipality, staff: User) -> QuerySet[CounterScreen]:
    return CounterScreen.objects.for_municipality(municipality).filter(staff=staff).order_by("name", "pk")


def pair(municipality: Municipality, staff: User, name: str) -> tuple[CounterScreen, str]:
    """A new screen for this clerk's desk, and the token of its address (shown once)."""
    name = " ".join((name or "").split())
    if not name:
        raise ScreenError(_("画面の名前を入力してください（例：1番窓口のタブレット）。"))
    if len(name) > NAME_MAX:
        raise ScreenError(_("画面の名前は%(max)d文字以内にしてください。") % {"max": NAME_MAX})
    token = secrets.token_urlsafe(24)
    screen = CounterScreen.objects.create(
        municipality=municipality, staff=staff, name=name, token_hash=_digest(token), paired_at=timezone.now()
    )
    return screen, token


def by_token(token: str) -> CounterScreen | None:
    if not token or len(token) > 100:
        return None
    screen = CounterScreen.objects.select_related("municipality").filter(token_hash=_digest(token)).first()
    if screen is not None and screen.staff_id is not None:
        now = timezone.now()
        if screen.last_seen_at is None or now - screen.last_seen_at > timedelta(minutes=1):
            CounterScreen.objects.filter(pk=screen.pk).update(last_seen_at=now)
    return screen if screen is not None and screen.staff_id is not None else None


def waiting_visit(screen: CounterScreen) -> CounterVisit | None:
    """The clerk's visit that waits for the resident's confirmation, if any (the latest)."""
    return (
        CounterVisit.objects.for_municipality(screen.municipality)
        .filter(staff_id=screen.staff_id, status=VisitStatus.CONFIRMING, confirmed_at__isnull=True)
        .order_by("-pk")
        .first()
    )


def shows(screen: CounterScreen, visit: CounterVisit) -> bool:
    """Whether this screen may show this visit (the same municipality and clerk)."""
    return screen.municipality_id == visit.municipality_id and screen.staff_id == visit.staff_id
