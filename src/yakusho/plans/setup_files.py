"""The plan file a first run imports (``yakusho setup --plan``; see ``core.setup_files``)."""

from __future__ import annotations

from yakusho.core.setup_files import SetupFileInvalid, setup_files


def import_plan_file(path: str) -> str:
    from yakusho.plans.planfile.files import PlanFileInvalid
    from yakusho.plans.planfile.importer import import_file

    try:
        result = import_file(path)
    except PlanFileInvalid as exc:
        raise SetupFileInvalid([str(e) for e in exc.errors]) from None
    counts = "、".join(f"{k} {v}" for k, v in result.counts.items() if v)
    return f"計画：{result.edition} を取り込みました（{counts}）"


setup_files.register(
    "plan", label="計画ファイル", owner_key="municipality", owner=lambda m: m.code, run=import_plan_file
)
