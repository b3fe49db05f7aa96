"""Time of the review dashboards on generated data (issue 6).

Generates, with bulk inserts, 25 municipalities, each with one plan of 200 nodes (10 basic
policies, 40 measures, 150 initiatives; one or two 課 each, some linked to national items) and 5
KPIs per node (1,000 per plan; yearly targets and actuals for 6 fiscal years), 6 finalised review
cycles per plan with a grade and a status on every node review, and a consortium of all 25.
Then it requests, through Django's test client against the real views and signed in as the
consortium's staff (and as a member's DX推進本部 for the cycle page):

- the consortium dashboard ``/staff/c/<slug>/dashboard/`` (target: median < 500 ms),
- one cycle dashboard ``/staff/m/<slug>/reviews/<cycle>/dashboard/``,

each ``--runs`` times after two warm-up requests, and prints the median and p95 (nearest rank)
in ms and the queries per request; the consortium dashboard also as the first request of a
process, when the finalised cycles' KPI tallies are not yet kept (see plans.dashboard).

Database: PostgreSQL when ``DATABASE_URL`` or ``PG_URL`` is set (the database
``yakusho_bench_dashboard`` on that server is dropped and created afresh), otherwise a temporary
SQLite file (deleted at the end).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PG_DATABASE = "yakusho_bench_dashboard"
TARGET_MS = 500.0
FIRST_YEAR = 2021
YEARS = 6


def fresh_postgres(url: str) -> str:
    """Drop and create the bench database on the server of ``url``; return its URL."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        name = sql.Identifier(PG_DATABASE)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return urlunsplit(parts._replace(path=f"/{PG_DATABASE}"))


def configure(var: Path) -> str:
    server = os.environ.get("DATABASE_URL") or os.environ.get("PG_URL")
    (var / "static").mkdir(exist_ok=True)  # WhiteNoise warns when STATIC_ROOT is missing
    os.environ.update(
        DJANGO_SETTINGS_MODULE="yakusho.settings",
        YAKUSHO_VAR_DIR=str(var),
        YAKUSHO_SECRET_KEY="bench-dashboard-secret-key-0123456789abcdef",  # noqa: S106
        YAKUSHO_DEBUG="0",
        YAKUSHO_ALLOWED_HOSTS="testserver,localhost",
    )
    if server:
        os.environ["DATABASE_URL"] = fresh_postgres(server)
        label = f"PostgreSQL (database {PG_DATABASE}, recreated)"
    else:
        os.environ.pop("DATABASE_URL", None)
        label = f"SQLite (temporary file {var / 'yakusho.sqlite3'})"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    return label


def insert_rows(model: Any, fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain multi-row INSERTs for the largest tables (the ORM's per-object work dominates
    bulk_create there); the same SQL on SQLite and PostgreSQL."""
    from django.db import connection

    meta = model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from the models
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])


def generate(members: int, nodes_per_plan: int, kpis_per_node: int, seed: int) -> dict[str, Any]:
    """Insert the bench data with bulk_create; return what the timing needs."""
    from django.utils import timezone

    from yakusho.core.models import (
        Consortium,
        ConsortiumMembership,
        Department,
        Membership,
        Municipality,
        User,
    )
    from yakusho.core.validators import municipality_check_digit
    from yakusho.plans.models import (
        GradingScale,
        Kpi,
        KpiActual,
        KpiTarget,
        NationalItem,
        Node,
        NodeDepartment,
        NodeReview,
        Plan,
        PlanEdition,
        ReviewCycle,
        ReviewGrade,
    )
    from yakusho.plans.reference import sync_reference
    from yakusho.plans.review.scales import DEFAULT_GRADES, DEFAULT_NAME

    rng = random.Random(seed)  # noqa: S311 - bench data, not secrets
    sync_reference()
    item_ids = list(NationalItem.objects.values_list("id", flat=True))
    last_year = FIRST_YEAR + YEARS - 1
    towns = Municipality.objects.bulk_create(
        [
            Municipality(
                slug=f"bench{i:02d}",
                name=f"ベンチ町{i:02d}",
                kana=f"べんちちょう{i:02d}",
                prefecture="秋田県",
                kind="town",
                code=(first := f"{90 + i // 10:02d}{500 + i:03d}") + str(municipality_check_digit(first)),
                email_from=f"info@bench{i:02d}.example.jp",
            )
            for i in range(members)
        ]
    )
    departments = Department.objects.bulk_create(
        [Department(municipality=t, name=f"第{d + 1}課", order=d) for t in towns for d in range(8)]
    )
    by_town: dict[int, list[Department]] = {}
    for d in departments:
        by_town.setdefault(d.municipality_id, []).append(d)
    plans = Plan.objects.bulk_create([Plan(municipality=t, key="dx") for t in towns])
    scales = GradingScale.objects.bulk_create(
        [GradingScale(municipality_id=p.municipality_id, plan=p, name=DEFAULT_NAME) for p in plans]
    )
    grades = ReviewGrade.objects.bulk_create(
        [
            ReviewGrade(municipality_id=sc.municipality_id, scale=sc, code=code, label=label, order=i)
            for sc in scales
            for i, (code, label) in enumerate(DEFAULT_GRADES)
        ]
    )
    grades_of: dict[int, list[ReviewGrade]] = {}
    for g in grades:
        grades_of.setdefault(g.municipality_id, []).append(g)
    editions = PlanEdition.objects.bulk_create(
        [
            PlanEdition(
                municipality_id=p.municipality_id,
                plan=p,
                number="1.0",
                title=f"ベンチ町{i:02d}DX推進計画",
                kind="DX推進計画",
                first_year=FIRST_YEAR,
                last_year=last_year,
                level_labels=["基本方針", "施策", "取組"],
                digest=f"bench{i}",
                grading_scale=scales[i],
            )
            for i, p in enumerate(plans)
        ]
    )
    for p, e in zip(plans, editions, strict=True):
        p.current_edition = e
    Plan.objects.bulk_update(plans, ["current_edition"])
    top, middle = nodes_per_plan // 20, nodes_per_plan // 5
    shape = [(1, top), (2, middle), (3, nodes_per_plan - top - middle)]
    all_nodes: dict[int, list[Node]] = {e.pk: [] for e in editions}
    previous: dict[int, list[Node]] = {}
    order = 0
    for depth, count in shape:
        level = []
        for e in editions:
            parents = previous.get(e.pk, [])
            for i in range(count):
                order += 1
                level.append(
                    Node(
                        municipality_id=e.municipality_id,
                        edition=e,
                        parent=parents[i % len(parents)] if parents else None,
                        key=f"n{depth}-{i}",
                        depth=depth,
                        code=f"{depth}-{i + 1}",
                        title=f"施策{depth}-{i + 1}",
                        order=order,
                    )
                )
        Node.objects.bulk_create(level, batch_size=2000)
        previous = {}
        for n in level:
            previous.setdefault(n.edition_id, []).append(n)
            all_nodes[n.edition_id].append(n)
    links, item_links = [], []
    through = Node.national_items.through
    for e in editions:
        for n in all_nodes[e.pk]:
            if n.depth == 1:
                continue
            chosen = rng.sample(by_town[e.municipality_id], rng.choice((1, 1, 2)))
            links += [
                NodeDepartment(municipality_id=e.municipality_id, node=n, department=d, lead=j == 0, order=j)
                for j, d in enumerate(chosen)
            ]
            if n.depth == 2 and item_ids:
                item_links.append(through(node_id=n.pk, nationalitem_id=rng.choice(item_ids)))
    NodeDepartment.objects.bulk_create(links, batch_size=5000)
    through.objects.bulk_create(item_links, batch_size=5000)
    kpis: list[Kpi] = []
    for e in editions:
        for n in all_nodes[e.pk]:
            for k in range(kpis_per_node):
                up = rng.random() < 0.7
                kpis.append(
                    Kpi(
                        municipality_id=e.municipality_id,
                        edition=e,
                        node=n,
                        key=f"{n.key}-k{k}",
                        name=f"{n.title}の指標{k + 1}",
                        unit="件",
                        direction="increase" if up else "decrease",
                        accumulation="per_year",
                        baseline_fiscal_year=FIRST_YEAR - 1,
                        baseline_value=Decimal(rng.randrange(100, 500)),
                        has_baseline=True,
                        order=len(kpis),
                    )
                )
    Kpi.objects.bulk_create(kpis, batch_size=5000)
    targets, actuals = [], []
    for kpi in kpis:
        base = kpi.baseline_value or Decimal(0)
        step = Decimal(10 if kpi.direction == "increase" else -10)
        for y in range(YEARS):
            value = base + step * (y + 1)
            targets.append(
                (kpi.municipality_id, kpi.pk, FIRST_YEAR + y, value, "", f"{value}件", y == YEARS - 1, y)
            )
            actual = value + rng.randrange(-15, 10)
            actuals.append((kpi.municipality_id, kpi.pk, FIRST_YEAR + y, actual, "", "", "review"))
    insert_rows(
        KpiTarget, ["municipality", "kpi", "fiscal_year", "value", "unit", "text", "final", "order"], targets
    )
    insert_rows(KpiActual, ["municipality", "kpi", "fiscal_year", "value", "text", "note", "source"], actuals)
    cycles = ReviewCycle.objects.bulk_create(
        [
            ReviewCycle(
                municipality_id=e.municipality_id,
                edition=e,
                fiscal_year=FIRST_YEAR + y,
                due_date=date(FIRST_YEAR + y + 1, 5, 31),
                state=ReviewCycle.State.FINALISED,
            )
            for e in editions
            for y in range(YEARS)
        ]
    )
    links_of: dict[int, list[NodeDepartment]] = {}
    for link in links:
        links_of.setdefault(link.node_id, []).append(link)
    progress = list(NodeReview.Progress)
    reviews = []
    now = timezone.now()
    for c in cycles:
        scale = grades_of[c.municipality_id]
        for n in all_nodes[c.edition_id]:
            node_links: list[NodeDepartment | None] = [*links_of.get(n.pk, [])] or [None]
            for node_link in node_links:
                reviews.append(
                    (
                        c.municipality_id,
                        c.pk,
                        n.pk,
                        node_link.department_id if node_link else None,
                        bool(node_link and node_link.lead),
                        NodeReview.State.FINALISED.value,
                        rng.choice(progress).value,
                        rng.randrange(0, 101),
                        rng.choice(scale).pk,
                        *("",) * 5,
                        now,
                    )
                )
    texts = ["achievements", "issues", "next_steps", "evidence", "comment"]
    review_fields = ["municipality", "cycle", "node", "department", "lead", "state", "status", "progress"]
    insert_rows(NodeReview, [*review_fields, "grade", *texts, "updated_at"], reviews)
    consortium = Consortium.objects.create(slug="bench", name="ベンチ県", kind="prefecture")
    consortium.members.set(towns)
    staff = User.objects.create(email="consortium@bench.example.jp", display_name="広域連携職員")
    ConsortiumMembership.objects.create(user=staff, consortium=consortium)
    hq = User.objects.create(email="hq@bench.example.jp", display_name="本部員")
    Membership.objects.create(user=hq, municipality=towns[0], role="hq")
    latest = max((c for c in cycles if c.municipality_id == towns[0].pk), key=lambda c: c.fiscal_year)
    return {
        "consortium": consortium,
        "staff": staff,
        "hq": hq,
        "town": towns[0],
        "cycle": latest,
        "rows": {
            "nodes": sum(len(v) for v in all_nodes.values()),
            "KPIs": len(kpis),
            "targets": len(targets),
            "actuals": len(actuals),
            "node reviews": len(reviews),
        },
    }


def time_page(client: Any, url: str, runs: int, *, cold: bool = False) -> dict[str, float]:
    """Median and p95 (nearest rank) of wall-clock and of this process's CPU time, in ms.

    ``cold``: the per-process cache is emptied before each request, as after a restart (the
    finalised cycles' KPI tallies are judged again)."""
    from django.core.cache import caches
    from django.db import connection

    for _ in range(2):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    executed: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        executed.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        size = len(client.get(url).content)
    wall, cpu = [], []
    for _ in range(runs):
        if cold:
            caches["pages"].clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort()
    return {
        "median": statistics.median(wall),
        "p95": wall[max(0, -(-95 * len(wall) // 100) - 1)],
        "cpu": statistics.median(cpu),
        "queries": len(executed),
        "kib": size / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=25)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--kpis-per-node", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yakusho-bench-dashboard-") as tmp:
        label = configure(Path(tmp))
        from django.core.management import call_command
        from django.db import transaction
        from django.test import Client
        from django.test.utils import override_settings
        from django.urls import reverse

        # Pages link static files; the bench does not run collectstatic, so no manifest.
        plain_static = override_settings(
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            }
        )
        plain_static.enable()

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        migrated = time.perf_counter()
        with transaction.atomic():  # one commit: much faster on SQLite
            data = generate(options.members, options.nodes, options.kpis_per_node, options.seed)
        generated = time.perf_counter()
        rows = ", ".join(f"{n:,} {k}" for k, n in data["rows"].items())
        print(f"review dashboards on {label}")
        print(
            f"  data: {options.members} municipalities × {options.nodes} nodes "
            f"× {options.kpis_per_node} KPIs "
            f"× {YEARS} fiscal years ({rows}); migrate {migrated - started:.1f} s, "
            f"generate {generated - migrated:.1f} s"
        )
        client = Client()
        client.force_login(data["staff"])
        url = reverse("reviews:consortium_dashboard", args=[data["consortium"].slug])
        r = time_page(client, url, options.runs)
        verdict = "PASS" if r["median"] < TARGET_MS else "FAIL"
        print(
            f"  consortium dashboard ({options.members} members): median {r['median']:.0f} ms, "
            f"p95 {r['p95']:.0f} ms over {options.runs} runs (this process's CPU: median {r['cpu']:.0f} ms), "
            f"{r['queries']} queries, {r['kib']:.0f} KiB (target median < {TARGET_MS:.0f} ms: {verdict})"
        )
        r = time_page(client, url, options.runs, cold=True)
        print(
            f"  consortium dashboard, first request of a process (tallies judged again): "
            f"median {r['median']:.0f} ms, p95 {r['p95']:.0f} ms (CPU {r['cpu']:.0f} ms)"
        )
        client = Client()
        client.force_login(data["hq"])
        url = reverse("reviews:dashboard", args=[data["town"].slug, data["cycle"].pk])
        r = time_page(client, url, options.runs)
        print(
            f"  cycle dashboard (one plan, {data['cycle'].fiscal_year}): median {r['median']:.0f} ms, "
            f"p95 {r['p95']:.0f} ms over {options.runs} runs (this process's CPU: median {r['cpu']:.0f} ms), "
            f"{r['queries']} queries, {r['kib']:.0f} KiB"
        )
        print(f"  load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        from django.db import connections

        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
