"""No input gives a server error: every URL pattern, with hostile values in each path parameter and
in every query parameter its view reads, and in every field of the forms it shows.

The walk finds its URLs in the resolver and its query parameters in the views' own source (and in
the forms they bind to ``request.GET``), so a new page is walked without touching this file. Each
request stands on real demo data where the pattern names a real object (see ``SAMPLES``); a pattern
this file does not know is walked with placeholder values, still with every hostile value.
Runs once, in the PostgreSQL run (NUL bytes and out-of-range numbers fail differently there), cut
into ``SHARDS`` tests that the test processes share.
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import login_verified
from yakusho.core.models import ConsortiumMembership, Role

pytestmark = pytest.mark.postgres

#: hostile values for query parameters and form fields
HOSTILE = [
    "a\x00b",
    "\x01\x08\x1b\x7f",
    "\u202e\u2066ab\u2069",
    "x" * 10_000,
    "9999-12-31",
    "0000-01-01",
    "9999-12",
    "99999999999999999999",
    "-99999999999999999999",
    "1e309",
]
#: a raw (already percent-encoded) query value: invalid UTF-8
RAW_QUERY = "%FF%FE%C0%AF"
#: hostile values of path parameters, by converter (percent-encoded as a browser would send them)
PATH_VALUES = {
    "int": ["0", "99999999999999999999", "9223372036854775808"],
    "slug": ["x" * 300, "-"],
    "str": ["a%00b", "%E2%80%AE", "%FF%FE", "x" * 2_000, "9999-12-31", "0000-01-01", "99999999999999999999"],
    "digits": ["0000", "9999", "99999999999999999999"],
}
#: hostile values posted in every field of a page's form
POSTED = ["\x00", "x" * 10_000, "9999-12-31", "99999999999999999999", "-1", "\u202e\x01"]

_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>(?P<rx>[^)]*)\)")
_GET_READ = re.compile(r"GET(?:\.get|\.getlist)?\(\s*[\"'](\w+)[\"']|GET\[[\"'](\w+)[\"']\]")
_GET_PASSED = re.compile(r"(\w+)\((?:[^()]|\([^()]*\))*?request\.GET\b")
_KEY_READ = re.compile(r"\.get(?:list)?\(\s*[\"'](\w+)[\"']|\[[\"'](\w+)[\"']\]")
_FORM_FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"")
_POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"", re.I)


@dataclass
class Route:
    name: str
    route: str
    callback: Callable[..., Any]
    params: list[tuple[str, str]] = field(default_factory=list)  # (name, converter)

    @property
    def staff(self) -> bool:
        """Walked as signed-in staff (sign-in, invitation and reset pages as a visitor)."""
        return self.route.startswith(("staff/m/", "staff/c/", "staff/operator/")) or self.route == "staff/"


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(
                p.url_patterns, prefix + str(p.pattern), ns + (f"{p.namespace}:" if p.namespace else "")
            )
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            params = []
            for m in _PARAM.finditer(route):
                if m.group("name"):
                    params.append((m.group("name"), m.group("conv") or "str"))
                else:
                    params.append(
                        (m.group("rname"), "digits" if m.group("rx").startswith("[0-9]") else "choice")
                    )
            yield Route(ns + (p.name or ""), route, p.callback, params)


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def _view_sources(callback: Callable[..., Any]) -> list[tuple[Any, str]]:
    """The source of the view — its class and our base classes, or its function — and of the
    module-level functions those name, each with its module."""
    view = getattr(callback, "view_class", None) or callback
    parts: list[tuple[Any, Any]] = [
        (inspect.getmodule(k), k)
        for k in getattr(view, "__mro__", (view,))
        if (inspect.getmodule(k) or object).__name__.startswith("yakusho")
    ]
    found: list[tuple[Any, str]] = []
    for module, obj in parts:
        source = inspect.getsource(obj)
        found.append((module, source))
        for name in set(re.findall(r"\b(\w+)\(", source)):
            helper = getattr(module, name, None)
            if inspect.isfunction(helper) and helper.__module__ == module.__name__ and helper is not obj:
                found.append((module, inspect.getsource(helper)))
    return found


def query_params(route: Route) -> set[str]:
    """The query parameters the view reads: ``request.GET.get("x")`` and the fields of the forms it
    binds to ``request.GET`` (or the keys a function given ``request.GET`` reads), in the view, its
    bases and the functions of their modules they call."""
    names: set[str] = set()
    for module, source in _view_sources(route.callback):
        names |= {a or b for a, b in _GET_READ.findall(source)}
        for callee_name in _GET_PASSED.findall(source):
            callee = getattr(module, callee_name, None)
            fields = getattr(callee, "base_fields", None)
            if fields is not None:  # a form bound to the query string
                names |= set(fields)
            elif inspect.isfunction(callee):  # a function given the query string reads its keys
                names |= {a or b for a, b in _KEY_READ.findall(inspect.getsource(callee))}
    return names


def _pk(model: Any, **filters: Any) -> str:
    obj = model.objects.filter(**filters).order_by("pk").first()
    return str(obj.pk) if obj else "1"


def samples() -> dict[str, str]:
    """Real values of the demo (大江町) for the path parameters, by name."""
    from yakusho.bookings.models import Booking, Resource, Slot
    from yakusho.bookings.queue.models import QueueService, QueueTicket
    from yakusho.core.models import Consortium, Department, Membership, Municipality, SynonymGroup
    from yakusho.faq.models import Category as FaqCategory
    from yakusho.faq.models import Entry as FaqEntry
    from yakusho.faq.models import Query as FaqQuery
    from yakusho.faq.models import Question as FaqQuestion
    from yakusho.faq.models import SharedEntry as FaqShared
    from yakusho.payments import selfcheckout
    from yakusho.payments.models import FeeItem, Payment
    from yakusho.plans.models import (
        ExternalEvaluation,
        GradingScale,
        JointGoal,
        Kpi,
        Plan,
        PlanFigure,
        PlanList,
        ReviewCycle,
        ReviewEvidence,
    )
    from yakusho.procedures.models import CounterVisit, Procedure, ProcedureLifeEvent, Submission

    oe = Municipality.objects.get(slug="oe")
    plan = Plan.objects.filter(municipality=oe).select_related("current_edition").first()
    edition = plan.current_edition if plan else None
    node = edition.nodes.order_by("pk").first() if edition else None
    kpi = Kpi.objects.filter(edition=edition).order_by("pk").first()
    cycle = ReviewCycle.objects.filter(municipality=oe).order_by("pk").first()
    review = cycle.node_reviews.order_by("pk").first() if cycle else None
    procedure = (
        Procedure.objects.filter(municipality=oe, form_definitions__isnull=False).order_by("pk").first()
    )
    submission = Submission.objects.filter(municipality=oe).order_by("pk").first()
    visit = CounterVisit.objects.filter(municipality=oe).order_by("pk").first()
    resource = Resource.objects.filter(municipality=oe).order_by("pk").first()
    queue = QueueService.objects.filter(municipality=oe).order_by("pk").first()
    consortium = Consortium.objects.filter(members=oe).first() or Consortium.objects.first()
    day = (date.today() + timedelta(days=7)).isoformat()
    events = ProcedureLifeEvent.objects.filter(procedure__municipality=oe).values_list("event", flat=True)
    tickets = QueueTicket.objects.filter(municipality=oe).order_by("pk")
    payment_code = Payment.objects.filter(municipality=oe).values_list("code", flat=True).first() or "x"
    admin = Membership.objects.filter(municipality=oe, role="admin").select_related("user").first()
    assert admin is not None
    kiosk, kiosk_token = selfcheckout.register(oe, admin.user, "hostile")
    return {
        "municipality": "oe",
        "slug": "oe",
        # the operator's pages may suspend the municipality they name: another than 大江町
        "tenant": Municipality.objects.exclude(slug="oe").order_by("code").values_list("slug", flat=True)[0],
        "consortium": consortium.slug if consortium else "x",
        "plan": plan.key if plan else "x",
        "number": edition.number if edition else "1",
        "node": node.key if node else "x",
        "kpi": kpi.key if kpi else "x",
        "department": _pk(Department, municipality=oe),
        "fiscal_year": str(cycle.fiscal_year) if cycle else "2024",
        "cycle": str(cycle.pk) if cycle else "1",
        "review": str(review.pk) if review else "1",
        "evidence": _pk(ReviewEvidence, review__cycle=cycle),
        "scale": _pk(GradingScale, municipality=oe),
        "evaluation": _pk(ExternalEvaluation, municipality=oe),
        "period": "1",
        "list_key": PlanList.objects.filter(edition=edition).values_list("key", flat=True).first() or "x",
        "figure": PlanFigure.objects.filter(edition=edition).values_list("key", flat=True).first() or "x",
        "goal": JointGoal.objects.filter(consortium=consortium).values_list("key", flat=True).first() or "x",
        "procedure": procedure.key if procedure else "x",
        "event": events.first() or "moving",
        "code": submission.code if submission else "x",
        "resource": resource.key if resource else "x",
        "day": day,
        "at": "1000",
        "key": queue.key if queue else "x",
        "format": "csv",
        "fmt": "csv",
        "action": "x",
        "kind": "privacy",
        "ref": "0.0",
        "page": "0",
        "item": "1",
        "file": "1",
        "token": "x",
        "uidb64": "x",
        "code:counter": visit.code if visit else "x",
        "code:queue": tickets.values_list("code", flat=True).first() or "x",
        # a pk by the URL name it appears in (the first prefix that matches)
        "pk:staff:department": _pk(Department, municipality=oe),
        "pk:staff:staff": _pk(Membership, municipality=oe),
        "pk:bookings_staff:booking": _pk(Booking, municipality=oe),
        "pk:bookings_staff:book": _pk(Slot, resource__municipality=oe),
        "pk:bookings_staff:slot": _pk(Slot, resource__municipality=oe),
        "pk:bookings_staff:": str(resource.pk) if resource else "1",
        "pk:procedures_staff:": str(procedure.pk) if procedure else "1",
        "pk:designer:": str(procedure.pk) if procedure else "1",
        "pk:inbox:": str(submission.pk) if submission else "1",
        "pk:queue_staff:": _pk(QueueTicket, municipality=oe),
        "category": _pk(FaqCategory, municipality=oe, parent=None),
        "kind:faq:entry": "e",
        "key:faq:entry": FaqEntry.objects.filter(municipality=oe).values_list("key", flat=True).first()
        or "x",
        "query": _pk(FaqQuery, municipality=oe),
        "code:faq:ask_sent": (
            FaqQuestion.objects.filter(municipality=oe).values_list("code", flat=True).first() or "x"
        ),
        "pk:faq_staff:entr": _pk(FaqEntry, municipality=oe),
        "pk:faq_staff:question": _pk(FaqQuestion, municipality=oe),
        "pk:faq_staff:override": _pk(FaqShared),
        "pk:faq_staff:synonym": _pk(SynonymGroup, municipality=oe),
        "code:payments_staff:payment": payment_code,
        "code:payments_staff:receipt": payment_code,
        "code:payments_staff:payment_settle": payment_code,
        "code:payments:receipt": payment_code,
        "token:selfcheckout:start": kiosk_token,
        "token:selfcheckout:visit": kiosk_token,
        "token:selfcheckout:done": kiosk_token,
        "token:selfcheckout:receipt": kiosk_token,
        "code:selfcheckout:visit": visit.code if visit else "x",
        "code:selfcheckout:done": payment_code,
        "code:selfcheckout:receipt": payment_code,
        "pk:payments_staff:selfcheckout": str(kiosk.pk),
        "key:payments:return": (
            Payment.objects.filter(municipality=oe).values_list("request_key", flat=True).first() or "x"
        ),
        "pk:payments_staff:fee": _pk(FeeItem, municipality=oe),
        "pk:payments_staff:rate": _pk(FeeItem, municipality=oe),
    }


def _value(route: Route, name: str, values: dict[str, str]) -> str:
    if f"{name}:{route.name}" in values:  # a value for this route's parameter alone
        return values[f"{name}:{route.name}"]
    if name == "pk":
        prefixes = sorted((k[3:] for k in values if k.startswith("pk:")), key=len, reverse=True)
        return next((values[f"pk:{p}"] for p in prefixes if route.name.startswith(p)), "1")
    if name == "code" and "/queue/" in route.route:
        return values["code:queue"]
    if name == "code" and "/counter/" in route.route:
        return values["code:counter"]
    return values.get(name, "1")


def build(route: Route, override: tuple[str, str] | None, values: dict[str, str]) -> str:
    def fill(m: re.Match[str]) -> str:
        name = m.group("name") or m.group("rname")
        if override and override[0] == name:
            return override[1]
        if m.group("rx") and "|" in m.group("rx"):
            return m.group("rx").split("|")[0]
        return quote(_value(route, name, values), safe="-_.:")

    path = _PARAM.sub(fill, route.route)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + path


def _staff_client(consortium_slug: str) -> Client:
    from tests.factories import MembershipFactory
    from yakusho.core.models import Consortium, Municipality

    membership = MembershipFactory(municipality=Municipality.objects.get(slug="oe"), role=Role.ADMIN)
    membership.user.is_operator = True  # and the system operator's pages
    membership.user.save()
    consortium = Consortium.objects.filter(slug=consortium_slug).first()
    if consortium is not None:
        ConsortiumMembership.objects.create(user=membership.user, consortium=consortium)
    client = Client()
    login_verified(client, membership.user)
    return client


SKIP_POST = {"staff:logout", "accounts:logout"}
#: the walk is cut into this many tests (every SHARDS-th URL pattern each), so that the test
#: processes share it instead of one of them walking every pattern at the end of the run
SHARDS = 4


def test_the_walk_reaches_every_kind_of_page() -> None:
    walked = routes()
    assert len(walked) > 150
    assert sum(len(query_params(route)) for route in walked) > 20
    assert any(route.staff for route in walked) and any(not route.staff for route in walked)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_input_gives_a_server_error(demo_with_reviews: None, shard: int) -> None:
    values = samples()
    staff = _staff_client(values["consortium"])
    public = Client()
    walked = routes()[shard::SHARDS]
    failures: list[str] = []
    requests = 0
    params_walked = 0
    started = time.monotonic()

    def hit(client: Client, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
        nonlocal requests
        requests += 1
        try:
            response = client.post(url, data or {}) if method == "POST" else client.get(url)
        except Exception as exc:
            failures.append(f"{method} {url[:200]} → {type(exc).__name__}: {str(exc)[:200]}")
            return None
        if response.status_code >= 500:
            failures.append(f"{method} {url[:200]} → {response.status_code}")
        return response

    for route in walked:
        client = staff if route.staff else public
        base = build(route, None, values)
        page = hit(client, "GET", base)
        for name, conv in route.params:
            for value in PATH_VALUES.get(conv, []):
                hit(client, "GET", build(route, (name, value), values))
        names = sorted(query_params(route))
        params_walked += len(names)
        for name in names:
            for value in HOSTILE:
                hit(client, "GET", f"{base}?{quote(name)}={quote(value)}")
            hit(client, "GET", f"{base}?{quote(name)}={RAW_QUERY}")
        if route.name in SKIP_POST:
            continue
        if (
            page is None
            or page.status_code != 200
            or not _POST_FORM.search(page.content.decode(errors="replace"))
        ):
            continue
        fields = sorted(
            set(_FORM_FIELD.findall(page.content.decode(errors="replace"))) - {"csrfmiddlewaretoken"}
        )
        for value in POSTED:
            hit(client, "POST", base, dict.fromkeys(fields, value))

    elapsed = time.monotonic() - started
    print(
        f"\nhostile inputs, part {shard + 1} of {SHARDS}: {len(walked)} URL patterns, "
        f"{params_walked} query parameters, {requests} requests in {elapsed:.0f} s"
    )
    for failure in failures:
        print(failure)
    assert walked and requests > len(walked)
    assert failures == []
