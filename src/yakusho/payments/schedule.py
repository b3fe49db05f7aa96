"""The payments app's scheduled commands (see :mod:`yakusho.core.scheduling`)."""

from datetime import timedelta

from yakusho.core.scheduling import schedule

schedule.register(
    "reconcile-payments",
    on_calendar="*:0/5",
    late_after=timedelta(minutes=20),
    description="通知が届かないオンライン決済の状況を決済サービスに問い合わせて反映する",
)
