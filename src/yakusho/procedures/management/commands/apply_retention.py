"""``yakusho apply-retention``: erase submissions past their procedure's retention period."""

from __future__ import annotations

from typing import Any

from yakusho.core.scheduling import ScheduledCommand
from yakusho.procedures.submissions.retention import apply_retention


class Command(ScheduledCommand):
    help = "Erase closed submissions past their procedure's retention period, with their history."

    def handle(self, *args: Any, **options: Any) -> None:
        report = apply_retention()
        for label, count in sorted(report.by_procedure.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(
            f"erased {report.erased} submission(s), {report.files} file(s); "
            f"removed {report.temp_files} abandoned draft upload(s)"
        )
