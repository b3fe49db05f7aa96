"""Core's scheduled commands (see :mod:`yakusho.core.scheduling`)."""

from datetime import timedelta

from yakusho.core.scheduling import schedule

schedule.register(
    "send-mail",
    on_calendar="*-*-* *:*:00",
    late_after=timedelta(minutes=10),
    description="送信待ちのメールを送る（メール送信ワーカーが動いていれば、その各回も記録されます）",
    worker_args=("--loop", "--interval", "30"),
)
schedule.register(
    "purge-expired",
    on_calendar="*-*-* 03:30:00 Asia/Tokyo",
    late_after=timedelta(hours=26),
    description="保存期間を過ぎた個人情報を履歴ごと消去する",
)
schedule.register(
    "backup",
    on_calendar="*-*-* 02:00:00 Asia/Tokyo",
    late_after=timedelta(hours=26),
    description="データベースと保存ファイルのバックアップを var/backups に書く（新しい 7 個を残す）",
    args=("--keep", "7"),
)
