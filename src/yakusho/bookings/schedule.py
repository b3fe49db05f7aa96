"""The bookings app's scheduled commands (see :mod:`yakusho.core.scheduling`)."""

from datetime import timedelta

from yakusho.core.scheduling import schedule

schedule.register(
    "generate-booking-slots",
    on_calendar="*-*-* 00:15:00 Asia/Tokyo",
    late_after=timedelta(hours=26),
    description="予約できる枠を予約期間の分だけ作る",
)
schedule.register(
    "expire-booking-holds",
    on_calendar="*:0/5",
    late_after=timedelta(minutes=20),
    description="確定されなかった仮予約とキャンセル待ちの案内を期限切れにする",
)
schedule.register(
    "send-booking-reminders",
    on_calendar="*-*-* 09:00:00 Asia/Tokyo",
    late_after=timedelta(hours=26),
    description="翌日の予約のお知らせを送る",
)
