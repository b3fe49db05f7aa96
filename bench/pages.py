"""The pages ``bench/run.py`` measures, the three ways a visitor comes, and how pages are chosen.

Modes (``--modes``):

- ``anon``: no cookie at all (a first visit; every request after the first may be a cache hit);
- ``visitor``: a new random cookie on every request — a ``sessionid`` that the server does not
  know and an unrelated analytics cookie (``_ga``) — so every request is a distinct resident who
  has used a form or another site's script before;
- ``staff``: the stored session of one signed-in staff member (``dx@example.jp``, 大江町's DX
  secretariat in the demo), the same cookie on every request.

Some pages are found at run time (a plan's first node, department and yearly report): their links
are read from the plan's overview and reports pages (:func:`discover`).
"""

from __future__ import annotations

import fnmatch
import random
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import yaml

MODES = ("anon", "visitor", "staff")
MODE_TITLES = {"anon": "no cookie", "visitor": "own cookie", "staff": "signed-in staff"}

# the five demo plans: (municipality slug, plan key)
PLANS: list[tuple[str, str]] = [
    ("katagami", "katagami-dx"),
    ("itako", "itako-dx"),
    ("murakami", "murakami-dx"),
    ("oe", "oe-dx"),
    ("misato", "misato-dx-action-plan"),
]
BIG_PLAN = ("oe", "synthetic")  # the 2,000-node plan, imported during preparation


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    group: str  # baseline, home, plan, compare, big, staff
    modes: tuple[str, ...] = MODES
    public_target: bool = False  # held to the public pages' targets (ratio and p99, own cookie)
    #: when given, each request asks one of these paths at random (the chat: a distinct question each)
    paths: tuple[str, ...] = ()


@dataclass
class Catalogue:
    pages: list[Page] = field(default_factory=list)

    def add(self, page: Page) -> None:
        if all(p.label != page.label for p in self.pages):
            self.pages.append(page)


BASELINE = Page("healthz", "/healthz", "baseline")


def catalogue() -> list[Page]:
    """Every page known before the server runs (discovered pages are added by :func:`discover`)."""
    c = Catalogue()
    c.add(BASELINE)
    c.add(Page("portal", "/", "home"))
    for slug, _plan in PLANS:
        c.add(Page(f"{slug} home", f"/m/{slug}/", "home", public_target=True))
    for slug, plan in PLANS:
        base = f"/m/{slug}/plans/{plan}/"
        c.add(Page(f"{slug} plans", f"/m/{slug}/plans/", "plan", public_target=True))
        c.add(Page(f"{slug} glossary", f"/m/{slug}/glossary/", "plan", public_target=True))
        for name, suffix in PLAN_PAGES:
            c.add(Page(f"{slug} {name}", base + suffix, "plan", public_target=True))
    c.add(Page("compare five", "/compare/?" + "&".join(f"plans={s}/{p}" for s, p in PLANS), "compare"))
    slug, plan = BIG_PLAN
    for name, suffix in (("overview", ""), ("roadmap", "roadmap/"), ("KPIs", "kpis/")):
        c.add(Page(f"big plan {name}", f"/m/{slug}/plans/{plan}/{suffix}", "big"))
    c.add(Page("big plan compare", f"/compare/?plans={slug}/{plan}&plans=oe/oe-dx", "big"))
    for slug in CHAT_TOWNS:
        paths = chat_paths(slug)
        c.add(Page(f"{slug} chat", paths[0], "chat", modes=("visitor",), paths=paths))
    c.add(Page("staff home", "/staff/", "staff", modes=("staff",)))
    return c.pages


CHAT_TOWNS = ("oe", "misato")
QUESTIONS = Path(__file__).resolve().parent / "faq_questions.yaml"


def chat_paths(slug: str) -> tuple[str, ...]:
    """The chat panel's requests for every question of the evaluation set asked in ``slug``: one
    turn each (``fragment=1``), as the panel asks; answered, unanswered and misspelt alike."""
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    questions = [q["q"] for q in data["questions"] if q["municipality"] == slug]
    return tuple(f"/m/{slug}/faq/chat/?q={quote(q)}&fragment=1" for q in questions)


PLAN_PAGES = [
    ("overview", ""),
    ("roadmap", "roadmap/"),
    ("KPIs", "kpis/"),
    ("alignment", "alignment/"),
    ("editions", "editions/"),
    ("reports", "reports/"),
]

# links read from a plan's pages: (label suffix, page to read, pattern of the link's path)
DISCOVERED = [
    ("node", "", r"/nodes/[^/\"?#]+/"),
    ("department", "", r"/departments/\d+/"),
    ("report", "reports/", r"/reports/\d{4}/(?:\d/)?"),
]


def discover(fetch: Callable[[str], str | None]) -> list[Page]:
    """Pages of each plan found through its links: ``fetch(path)`` returns a page's HTML or None."""
    found: list[Page] = []
    for slug, plan in PLANS:
        base = f"/m/{slug}/plans/{plan}/"
        bodies: dict[str, str | None] = {}
        for name, where, pattern in DISCOVERED:
            if where not in bodies:
                bodies[where] = fetch(base + where)
            match = re.search(r'href="(' + re.escape(base) + pattern[1:] + ')"', bodies[where] or "")
            if match:
                found.append(Page(f"{slug} {name}", match.group(1), "plan", public_target=True))
    return found


def select(pages: Sequence[Page], patterns: Sequence[str] | None) -> list[Page]:
    """The pages whose label or path matches one of ``patterns`` (shell-style, case-insensitive,
    comma- or space-separated); the baseline always comes first."""
    if not patterns:
        return list(pages)
    wanted = [part.strip().lower() for name in patterns for part in name.split(",") if part.strip()]
    chosen = [
        page
        for page in pages
        if page == BASELINE
        or any(fnmatch.fnmatchcase(page.label.lower(), w) or page.path == w for w in wanted)
    ]
    return chosen


def visitor_cookie() -> str:
    """A new visitor's cookies: an unknown session id and an analytics cookie, fresh each call."""
    ga = f"GA1.1.{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}"
    return f"sessionid={secrets.token_hex(16)}; _ga={ga}"


def request_source(
    host: str,
    port: int,
    path: str,
    mode: str,
    staff_cookie: str,
    method: str = "GET",
    paths: Sequence[str] = (),
) -> bytes | Callable[[], bytes]:
    """The bytes of the request for ``mode``, or a function making new bytes for every request
    (a new visitor's cookie; with ``paths``, also one of them at random)."""
    if paths:
        if mode != "visitor":
            raise ValueError("a page of many paths is measured with distinct visitors only")
        chooser = random.Random(0)  # noqa: S311 - which question comes next, not a secret

        def one() -> bytes:
            made = request_source(host, port, chooser.choice(paths), mode, staff_cookie, method)
            return made() if callable(made) else made

        return one
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: yakusho-bench/1\r\n"
        "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
        "Accept-Language: ja\r\nConnection: keep-alive\r\n"
    )
    if mode == "anon":
        return (head + "\r\n").encode("latin-1")
    if mode == "staff":
        return (head + f"Cookie: {staff_cookie}\r\n\r\n").encode("latin-1")
    if mode == "visitor":
        return lambda: (head + f"Cookie: {visitor_cookie()}\r\n\r\n").encode("latin-1")
    raise ValueError(f"unknown mode {mode!r}")


def discover_labels() -> list[Page]:
    """Placeholders of the pages :func:`discover` may find, to match ``--only`` against."""
    return [BASELINE] + [
        Page(f"{slug} {name}", "", "plan") for slug, _plan in PLANS for name, _where, _pattern in DISCOVERED
    ]
