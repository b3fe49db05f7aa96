"""Writes the demo review fixtures of this folder from the plan files (run by hand; output committed).

    .venv/bin/python data/demo/reviews/make_fixtures.py

Every value here is made up for the demo (seeded, so the output is stable), except 美郷町's
令和6年度 KPI actuals, which its plan prints and which the plan file already holds: the loader
keeps those, and this script derives that cycle's grades from them (see ``grade_from_kpis``).
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PLANS = HERE.parent.parent / "plans"

#: (plan file, fiscal year, due date, open?) — katagami's plan starts in 2026: no review yet.
CYCLES = [
    ("misato-2024.yaml", 2024, date(2025, 5, 30), False),
    ("misato-2024.yaml", 2025, date(2026, 5, 29), False),
    ("oe-2024.yaml", 2024, date(2025, 5, 30), False),
    ("oe-2024.yaml", 2025, date(2026, 12, 18), True),
    ("itako-2023.yaml", 2023, date(2024, 5, 31), False),
    ("itako-2023.yaml", 2024, date(2025, 5, 30), False),
    ("itako-2023.yaml", 2025, date(2026, 11, 27), True),
    ("murakami-2022-2.0.yaml", 2023, date(2024, 5, 31), False),
    ("murakami-2022-2.3.yaml", 2024, date(2025, 5, 30), False),
    ("murakami-2022-2.3.yaml", 2025, date(2026, 12, 25), True),
]

STATUS_WEIGHTS = [
    ("in_progress", 55),
    ("done", 12),
    ("studying", 12),
    ("not_started", 6),
    ("delayed", 10),
    ("revising", 4),
    ("stopped", 1),
]
GRADE_OF_STATUS = {
    "in_progress": ["B", "B", "A"],
    "done": ["A", "B"],
    "studying": ["B", "C"],
    "not_started": ["C", "D"],
    "delayed": ["C"],
    "revising": ["C", "D"],
    "stopped": ["D"],
}
PROGRESS = {
    "in_progress": (30, 80),
    "done": (100, 100),
    "studying": (5, 30),
    "not_started": (0, 0),
    "delayed": (10, 40),
    "revising": (20, 50),
    "stopped": (0, 20),
}
ACHIEVEMENTS = {
    "in_progress": "「{t}」について、年度計画に沿って取組を進めた。",
    "done": "「{t}」は予定した取組を終え、運用に移った。",
    "studying": "「{t}」の進め方について、先行団体の事例を調べ、庁内で検討した。",
    "not_started": "今年度は着手していない。",
    "delayed": "「{t}」は準備を進めたが、予定より遅れている。",
    "revising": "「{t}」は国の動向を踏まえ、取組内容を見直している。",
    "stopped": "「{t}」は他の取組に統合したため、単独の取組としては中止した。",
}
ISSUES = {
    "in_progress": "利用者への周知と、担当職員の負担の平準化。",
    "done": "運用後の利用状況の把握。",
    "studying": "費用対効果の見極めと財源の確保。",
    "not_started": "担当の人員と予算の確保。",
    "delayed": "事業者との調整と、既存システムの改修に時間を要している。",
    "revising": "国の標準仕様の確定を待つ必要がある。",
    "stopped": "—",
}
NEXT = {
    "in_progress": "引き続き取組を進め、利用状況を確認する。",
    "done": "効果を検証し、他の業務への展開を検討する。",
    "studying": "次年度に方針を決め、試行する。",
    "not_started": "次年度の着手に向けて準備する。",
    "delayed": "工程を見直し、次年度前半の完了を目指す。",
    "revising": "見直し後の内容を次の改訂で計画に反映する。",
    "stopped": "統合先の取組で進捗を管理する。",
}
OPEN_STATES = [("draft", 40), ("submitted", 25), ("returned", 10), ("accepted", 25)]
RETURN_COMMENTS = [
    "実績に具体的な数値（件数・回数など）を書いてください。",
    "評価の理由が分かるよう、課題の欄を補ってください。",
    "進捗率と進捗状況が合っていないようです。確認してください。",
]


def weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def targets_by_year(kpi: dict[str, Any]) -> dict[int, Decimal]:
    return {
        t["fiscal_year"]: Decimal(str(t["value"]))
        for t in kpi.get("targets", [])
        if t.get("fiscal_year") and t.get("value") is not None
    }


def grade_from_kpis(kpis: list[dict[str, Any]], year: int) -> str | None:
    """A grade from printed actuals: ahead of the year's target A, at it (≥95 %) B, behind C."""
    grades = []
    for kpi in kpis:
        actual = next((a for a in kpi.get("actuals", []) if a["fiscal_year"] == year), None)
        target = targets_by_year(kpi).get(year)
        if actual is None or actual.get("value") is None or target is None or kpi["direction"] != "increase":
            continue
        value = Decimal(str(actual["value"]))
        grades.append("A" if value > target else "B" if value >= target * Decimal("0.95") else "C")
    return max(grades) if grades else None  # the worst grade of the node's KPIs


def demo_actual(rng: random.Random, kpi: dict[str, Any], year: int) -> dict[str, Any] | None:
    if kpi["direction"] == "qualitative":
        return {"kpi": kpi["key"], "text": rng.choice(["実施", "一部実施", "検討中"])}
    targets = targets_by_year(kpi)
    baseline = kpi.get("baseline", {}).get("value")
    if not targets and baseline is None:
        return None
    final_year, final = max(targets.items()) if targets else (year, Decimal(str(baseline)))
    start_year = kpi.get("baseline", {}).get("fiscal_year") or year - 1
    start = Decimal(str(baseline)) if baseline is not None else Decimal(0)
    if year in targets:
        path = targets[year]
    elif final_year > start_year:
        path = start + (final - start) * Decimal(year - start_year) / Decimal(final_year - start_year)
    else:
        path = final
    value = path * Decimal(str(round(rng.uniform(0.8, 1.15), 2)))
    if kpi.get("unit") == "%":
        value = min(value, Decimal(100))
    value = value.quantize(Decimal("0.1") if kpi.get("unit") == "%" else Decimal(1))
    return {"kpi": kpi["key"], "value": float(value) if kpi.get("unit") == "%" else int(value)}


def make(plan_file: str, year: int, due: date, is_open: bool) -> dict[str, Any]:
    plan = yaml.safe_load((PLANS / plan_file).read_text("utf-8"))
    rng = random.Random(f"{plan_file}:{year}")
    kpis_by_node: dict[str, list[dict[str, Any]]] = {}
    for kpi in plan.get("kpis", []):
        kpis_by_node.setdefault(kpi["node"], []).append(kpi)
    printed = any(a["fiscal_year"] == year for k in plan.get("kpis", []) for a in k.get("actuals", []))
    reviews = []
    for node in plan["nodes"]:
        departments = [d["name"] for d in node.get("departments", [])] or [None]
        for department in departments:
            status = weighted(rng, STATUS_WEIGHTS)
            grade = printed and grade_from_kpis(kpis_by_node.get(node["key"], []), year)
            if grade:
                status = "in_progress"  # a node whose printed figures moved is under way
            else:
                grade = rng.choice(GRADE_OF_STATUS[status])
            low, high = PROGRESS[status]
            entry: dict[str, Any] = {
                "node": node["key"],
                "department": department,
                "state": weighted(rng, OPEN_STATES) if is_open else "finalised",
                "status": status,
                "progress": rng.randrange(low, high + 1, 5) if high > low else low,
                "grade": grade,
                "achievements": ACHIEVEMENTS[status].format(t=node["title"]),
                "issues": ISSUES[status],
                "next_steps": NEXT[status],
            }
            if entry["state"] == "draft":
                entry.pop("grade")
            if entry["state"] == "returned":
                entry["comment"] = rng.choice(RETURN_COMMENTS)
            reviews.append(entry)
    actuals = []
    for kpi in plan.get("kpis", []):
        if any(a["fiscal_year"] == year for a in kpi.get("actuals", [])):
            continue  # printed in the plan: the plan file's actual is kept
        if is_open and rng.random() < 0.5:
            continue  # not yet entered
        actual = demo_actual(rng, kpi, year)
        if actual:
            actuals.append(actual)
    return {
        "municipality": str(plan["municipality"]),
        "plan": plan["key"],
        "edition": str(plan["edition"]["number"]),
        "fiscal_year": year,
        "due_date": due,
        "state": "open" if is_open else "finalised",
        "printed_actuals": printed,
        "reviews": reviews,
        "actuals": actuals,
    }


HEADER = """\
# デモデータ（demo data）: a yearly review made up for the demo by make_fixtures.py in this folder.
# The municipality has not published these statuses, grades or texts. {extra}
"""


def main() -> None:
    for plan_file, year, due, is_open in CYCLES:
        data = make(plan_file, year, due, is_open)
        extra = (
            "The KPI actuals of this year are printed in the plan and kept from the plan file;\n"
            "# the grades of nodes with such KPIs follow from them (ahead A, at target B, behind C)."
            if data["printed_actuals"]
            else "Its KPI actuals are made up too."
        )
        name = f"{plan_file.removesuffix('.yaml')}-fy{year}.yaml"
        text = HEADER.format(extra=extra) + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)
        (HERE / name).write_text(text, "utf-8")
        print(name, len(data["reviews"]), "reviews,", len(data["actuals"]), "actuals")


if __name__ == "__main__":
    main()
