"""Shared fixtures. Factories are seeded (factory_boy's random and Faker) so a failing run repeats."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import factory.random
import pytest
from hypothesis import settings as hypothesis_settings

from tests import demo_snapshot
from tests.smtp import SmtpServer, free_port

hypothesis_settings.register_profile("ci", max_examples=30, deadline=None)
hypothesis_settings.register_profile("dev", max_examples=150, deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

SEED = int(os.environ.get("YAKUSHO_TEST_SEED", "20261123"))


def pytest_configure(config: pytest.Config) -> None:
    demo_snapshot.use_delete_flush()


@pytest.fixture(autouse=True)
def _seeded_factories() -> None:
    factory.random.reseed_random(SEED)


@pytest.fixture(autouse=True)
def _fresh_page_cache() -> None:
    """Rendered pages are cached per process; each test starts without them, and with no
    municipality suspended (a test suspends one through ``core.suspension.suspend``)."""
    from django.core.cache import caches

    from yakusho.core import searchversion
    from yakusho.core.pagecache import forget_pending
    from yakusho.core.suspension import remember
    from yakusho.faq.analysis import forget_closed_days

    caches["pages"].clear()
    remember(frozenset())
    forget_pending()
    searchversion.forget_pending()
    forget_closed_days()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path_factory) -> None:
    """Uploaded files go to a temporary folder, never into the working tree's var/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


DEMO_CORE = "core"
DEMO_PLANS = "plans"
DEMO_REVIEWS = "reviews"
ROLES_WORLD = "roles-world"  # not the demo: the role tables' own small world (tests/core/roles_world.py)
# The fixture a test names → the layers of demo data it stands on, bottom first. The core-only demo is
# its own branch: the full demo is loaded fresh, not over it, so each state is exactly what one
# command (or the command and the review loader) leaves.
DEMO_FIXTURES: dict[str, tuple[str, ...]] = {
    "demo_with_reviews": (DEMO_PLANS, DEMO_REVIEWS),
    "demo_with_plans": (DEMO_PLANS,),
    "demo": (DEMO_CORE,),
    "role_world": (ROLES_WORLD,),
}


def _load_core() -> None:
    from django.core.management import call_command

    call_command("demo", quiet_logins=True, core_only=True, verbosity=0)


def _load_plans() -> None:
    from django.core.management import call_command

    call_command("demo", quiet_logins=True, verbosity=0)


def _load_reviews() -> None:
    from yakusho.plans.demo.reviews import load_demo_reviews

    load_demo_reviews()


def _load_roles_world() -> None:
    from tests.core import roles_world

    roles_world.build()


@dataclass(frozen=True)
class Layer:
    """How a kept layer is loaded, and whether the transactional tests get its rows copied back
    (the demo's states; the role tables' world is read by no transactional test)."""

    load: Callable[[], None]
    copied_out: bool


LAYERS: dict[str, Layer] = {
    DEMO_CORE: Layer(_load_core, copied_out=True),
    DEMO_PLANS: Layer(_load_plans, copied_out=True),
    DEMO_REVIEWS: Layer(_load_reviews, copied_out=True),
    ROLES_WORLD: Layer(_load_roles_world, copied_out=False),
}


def load_demo_layer(layer: str) -> None:
    LAYERS[layer].load()


def is_transactional(item: pytest.Item) -> bool:
    """As pytest-django decides: such a test commits, so it cannot stand inside a kept transaction."""
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    flagged = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    return flagged or "transactional_db" in names or "live_server" in names


def demo_layers(item: pytest.Item) -> tuple[str, ...]:
    names = getattr(item, "fixturenames", ())
    if is_transactional(item):
        return ()
    for fixture, layers in DEMO_FIXTURES.items():
        if fixture in names:
            return layers
    return ()


class KeptDemo:
    """Demo data loaded once per process and kept in open transactions (one savepoint per layer).

    Loading the full demo takes seconds; most tests only read it or change it inside their own
    transaction, which pytest-django's ``db`` opens as a savepoint inside these. A test that needs
    other layers makes the kept ones roll back to the common base first; tests are ordered by their
    layers (``pytest_collection_modifyitems``) so each process loads each state about once.
    Transactional tests (live server, threads) see none of it: ``_provide`` gives them the demo in
    their own committed data (copied back from a per-process snapshot on PostgreSQL).
    """

    def __init__(self) -> None:
        self.layers: list[tuple[str, Any]] = []
        self.connection: Any = None

    @property
    def kept(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.layers)

    def ensure(self, wanted: tuple[str, ...]) -> None:
        from django.db import connection, connections, transaction

        if self.layers and connections["default"] is not self.connection:
            raise RuntimeError("the kept demo layers were opened on another connection object")
        if len(connection.atomic_blocks) != len(self.layers):
            raise RuntimeError("the kept demo layers must be set before the test's transaction opens")
        self.connection = connections["default"]
        common = 0
        while common < min(len(wanted), len(self.layers)) and self.layers[common][0] == wanted[common]:
            common += 1
        self.rollback_to(common)
        for layer in wanted[common:]:
            block = transaction.atomic()
            block.__enter__()
            self.layers.append((layer, block))
            try:
                load_demo_layer(layer)
            except BaseException:
                self.rollback_to(len(self.layers) - 1)
                raise
            if LAYERS[layer].copied_out:
                # the transactional tests, which run after these, get the same rows copied back
                # instead of loading the demo once more (tests/demo_snapshot.py)
                demo_snapshot.keep(self.kept)

    def rollback_to(self, depth: int) -> None:
        from django.db import transaction

        while len(self.layers) > depth:
            _, block = self.layers.pop()
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


_kept: KeptDemo | None = None


def release_kept_demo(django_db_blocker: Any) -> None:
    """Roll the kept layers back now. The browser tests call this before Playwright starts: its event
    loop gives Django another connection object in this thread, which could not roll them back."""
    if _kept and _kept.layers:
        with django_db_blocker.unblock():
            _kept.rollback_to(0)


@pytest.fixture(scope="session")
def _kept_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[KeptDemo]:
    global _kept
    _kept = KeptDemo()
    yield _kept
    with django_db_blocker.unblock():
        _kept.rollback_to(0)
    _kept = None


@pytest.fixture
def _kept_demo_layers(request: pytest.FixtureRequest, django_db_blocker: Any) -> None:
    """Keep exactly the demo layers this test stands on (none for a test that needs none or commits)."""
    wanted = demo_layers(request.node)
    if not wanted and not (_kept and _kept.layers):
        return
    kept: KeptDemo = request.getfixturevalue("_kept_demo")
    with django_db_blocker.unblock():
        kept.ensure(wanted)


@pytest.fixture(autouse=True)
def _django_db_marker(_kept_demo_layers: None, _django_db_marker: None) -> None:
    """pytest-django's own fixture (named as a parameter, so it runs), after the kept demo layers.

    pytest-django opens each test's transaction in this autouse fixture; overriding it here is how the
    kept layers come first. ``KeptDemo.ensure`` fails loudly if a test's transaction is already open.
    """


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Within pytest-django's order (database tests, transactional ones, the rest), group by demo layers."""
    rank = {layers: i for i, layers in enumerate([(), *DEMO_FIXTURES.values()])}

    def group(item: pytest.Item) -> int:
        if is_transactional(item):
            return 1
        uses_db = "db" in getattr(item, "fixturenames", ()) or item.get_closest_marker("django_db")
        return 0 if uses_db else 2

    items.sort(key=lambda item: (group(item), rank[demo_layers(item)]))


#: (test, layers) the current transactional test already holds
_provided: tuple[str, tuple[str, ...]] | None = None


def _provide(request: pytest.FixtureRequest, layers: tuple[str, ...]) -> None:
    """A kept layer is already there. A transactional test gets the deepest layers it asks for at
    once: copied back from the process's snapshot on PostgreSQL (``tests/demo_snapshot.py``),
    otherwise loaded into its own committed data."""
    global _provided
    if _kept and _kept.kept[: len(layers)] == layers:
        return
    node = request.node.nodeid
    if _provided and _provided[0] == node and _provided[1][: len(layers)] == layers:
        return
    full = next((chain for name, chain in DEMO_FIXTURES.items() if name in request.fixturenames), layers)
    if full[: len(layers)] != layers:
        full = layers

    def load() -> None:
        for layer in full:
            load_demo_layer(layer)

    demo_snapshot.provide(full, load)
    _provided = (node, full)
    from yakusho.core import searchversion
    from yakusho.core.pagecache import forget_pending

    forget_pending()  # the demo's saves are in a transaction the tests never commit
    searchversion.forget_pending()


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port: int) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free port, and Django's SMTP backend pointed at it."""
    from django.test import override_settings

    server = SmtpServer(smtp_port).start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=smtp_port,
        EMAIL_TIMEOUT=5,
    ):
        yield server
    server.stop()


@pytest.fixture
def demo(request: pytest.FixtureRequest, db: None) -> None:
    """The demo data of `yakusho demo` (municipalities, departments, staff), without the other apps'."""
    _provide(request, DEMO_FIXTURES["demo"])


@pytest.fixture
def demo_with_plans(request: pytest.FixtureRequest, db: None) -> None:
    """The demo data with the five source plans and every other app's demo data."""
    _provide(request, DEMO_FIXTURES["demo_with_plans"])


@pytest.fixture
def demo_with_reviews(request: pytest.FixtureRequest, demo_with_plans: None) -> None:
    """The demo data with the plans and the demo's yearly reviews (as `make run` loads them)."""
    _provide(request, DEMO_FIXTURES["demo_with_reviews"])


@pytest.fixture
def role_world(db: None) -> Any:
    """The role tables' world (``tests/core/roles_world.py``), kept below the test like the demo:
    ``(town, consortium, users by role, objects by name)``."""
    from tests.core import roles_world

    return roles_world.load()


# --- small plans and staff of one role ---------------------------------------------------------


@pytest.fixture
def plan_from(tmp_path: Any, db: None) -> Any:
    """``plan_from(data)``: write a plan file (a dict in the plan-file format) and import it; returns
    the import's result (``.edition``). The municipality and departments it names must exist."""
    import yaml

    from yakusho.plans.planfile.importer import import_file

    def make(data: dict[str, Any], name: str | None = None) -> Any:
        path = tmp_path / (name or f"{data['key']}.yaml")
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return import_file(path)

    return make


@pytest.fixture
def synthetic_plan(plan_from: Any) -> Any:
    """``synthetic_plan(town, key, nodes=, kpis=, years=3, seed=3)``: a generated plan of a
    municipality (a slug or the object) over its own departments, imported; returns its edition."""
    from yakusho.core.models import Department, Municipality
    from yakusho.plans.demo.synthetic import generate

    def make(town: Any, key: str, *, nodes: int, kpis: int, years: int = 3, seed: int = 3) -> Any:
        if isinstance(town, str):
            town = Municipality.objects.get(slug=town)
        departments = list(Department.objects.filter(municipality=town).values_list("name", flat=True))
        data = generate(
            town.code, nodes=nodes, kpis=kpis, years=years, departments=departments, key=key, seed=seed
        )
        return plan_from(data, f"{town.slug}-{key}.yaml").edition

    return make


@pytest.fixture
def staff_of(db: None) -> Any:
    """``staff_of(town, role, departments=())``: a new staff member of one role (and 課, given as
    objects or names) in a municipality (a slug or the object); returns the membership (``.user``)."""
    from tests.factories import MembershipFactory
    from yakusho.core.models import Department, Municipality

    def make(town: Any, role: str, departments: Any = ()) -> Any:
        if isinstance(town, str):
            town = Municipality.objects.get(slug=town)
        membership = MembershipFactory(municipality=town, role=role)
        if departments:
            membership.departments.set(
                [
                    d if isinstance(d, Department) else Department.objects.get(municipality=town, name=d)
                    for d in departments
                ]
            )
        return membership

    return make


@pytest.fixture
def signed_in(client: Any, staff_of: Any) -> Any:
    """``signed_in(town, role, departments=())``: the test client, signed in (with a verified second
    factor) as a new staff member of that role."""
    from tests.helpers import login_verified

    def make(town: Any, role: str, departments: Any = ()) -> Any:
        login_verified(client, staff_of(town, role, departments).user)
        return client

    return make
