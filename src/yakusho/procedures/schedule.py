"""The procedures app's scheduled commands (see :mod:`yakusho.core.scheduling`)."""

from datetime import timedelta

from yakusho.core.scheduling import schedule

schedule.register(
    "apply-retention",
    on_calendar="*-*-* 03:45:00 Asia/Tokyo",
    late_after=timedelta(hours=26),
    description="手続ごとの保存期間を過ぎた申請を消去する",
)
schedule.register(
    "discard-counter-visits",
    on_calendar="*-*-* *:05:00",
    late_after=timedelta(hours=3),
    description="終わらなかった窓口受付を打ち切り、古い受付の個人情報を消去する",
)
schedule.register(
    "expire-unpaid-submissions",
    on_calendar="*-*-* *:35:00",
    late_after=timedelta(hours=3),
    description="支払待ちのまま期限を過ぎた申請（手数料を先に払う手続）を消去する",
)
