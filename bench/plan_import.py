"""Import time of the large synthetic plan (2,000 nodes, 5,000 KPIs, 10 fiscal years).

Generates the plan as YAML and as JSON into var/bench/, imports each into a fresh database
(PostgreSQL ``yakusho_bench_plans`` if a server answers, else SQLite) with ``yakusho import-plan``
and prints the wall-clock time of each import, split into reading the file and writing it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YAKUSHO = str(Path(sys.executable).parent / "yakusho")
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "yakusho_bench_plans"


def environment(var: Path, use_pg: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(YAKUSHO_VAR_DIR=str(var), YAKUSHO_SECRET_KEY="bench-plan-import-secret-key-0123456789abcdef")  # noqa: S106
    if use_pg:
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    return env


def fresh_database(var: Path) -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        return True
    except Exception:
        (var / "yakusho.sqlite3").unlink(missing_ok=True)
        return False


def run(args: list[str], env: dict[str, str], out: Path | None = None) -> float:
    started = time.perf_counter()
    if out is None:
        subprocess.run([YAKUSHO, *args], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    else:
        with out.open("w") as handle:
            subprocess.run([YAKUSHO, *args], env=env, check=True, stdout=handle)  # noqa: S603
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--kpis", type=int, default=5000)
    parser.add_argument("--years", type=int, default=10)
    options = parser.parse_args()
    var = ROOT / "var" / "bench-plans"
    var.mkdir(parents=True, exist_ok=True)
    results = {}
    for fmt in ("yaml", "json"):
        use_pg = fresh_database(var)
        env = environment(var, use_pg)
        run(["migrate", "-v0"], env)
        run(["createcachetable"], env)
        run(["demo", "--quiet-logins", "--core-only"], env)
        path = var / f"synthetic.{fmt}"
        run(
            [
                "generate-plan",
                "--municipality",
                "oe",
                "--nodes",
                str(options.nodes),
                "--kpis",
                str(options.kpis),
                "--years",
                str(options.years),
            ],
            env,
            out=path,
        )
        if fmt == "json":
            from yakusho.core.fastyaml import load

            data = load(path.read_text("utf-8"))
            path.write_text(json.dumps(data, ensure_ascii=False, default=str), "utf-8")
        seconds = run(["import-plan", str(path)], env)
        results[fmt] = {
            "seconds": round(seconds, 2),
            "bytes": path.stat().st_size,
            "database": "PostgreSQL" if use_pg else "SQLite",
        }
        print(
            f"plan import  {fmt:<4} {options.nodes} nodes, {options.kpis} KPIs, {options.years} years "
            f"({path.stat().st_size / 1e6:.1f} MB, {results[fmt]['database']}): {seconds:.2f} s "
            f"(target < 10 s: {'PASS' if seconds < 10 else 'FAIL'})"
        )
    (var / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
