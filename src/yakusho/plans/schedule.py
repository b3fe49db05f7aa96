"""The plans app's scheduled commands (see :mod:`yakusho.core.scheduling`)."""

from datetime import timedelta

from yakusho.core.scheduling import schedule

schedule.register(
    "send-reminders",
    on_calendar="*-*-* 08:00:00 Asia/Tokyo",
    late_after=timedelta(hours=26),
    description="年次評価の督促と事務局へのまとめを送る",
)
