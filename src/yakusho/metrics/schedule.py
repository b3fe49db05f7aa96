"""The metrics app's scheduled commands (see :mod:`yakusho.core.scheduling`)."""

from datetime import timedelta

from yakusho.core.scheduling import schedule

schedule.register(
    "refresh-figures",
    on_calendar="*:0/10",
    late_after=timedelta(hours=1),
    description="指標を集計して保存する（データが変わったもの、集計待ちのもの、期間中のもの）",
)
