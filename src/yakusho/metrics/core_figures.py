"""Figures of core's own data (staff, business days), published by the metrics app: core imports no
other app, so its figures are registered from here (``MetricsConfig.ready``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Membership, Municipality
from yakusho.metrics.registry import Period, registry


@registry.provider(
    "core.active_staff",
    label_ja="有効な職員アカウント数",
    label_en="Active staff accounts",
    unit="人",
    description="期間末日時点で有効な職員アカウントの数",
    depends_on=("core.Membership", "core.User"),
)
def active_staff(municipality: Municipality, period: Period) -> int:
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))
    return (
        Membership.objects.for_municipality(municipality)
        .filter(is_active=True, user__is_active=True, created_at__lt=end)
        .count()
    )


@registry.provider(
    "core.business_days",
    label_ja="開庁日数",
    label_en="Business days",
    unit="日",
    description="期間中の開庁日（土日・祝日・年末年始・臨時閉庁日を除く）の数",
    depends_on=("core.Closure", "core.Municipality"),
)
def business_days(municipality: Municipality, period: Period) -> int:
    calendar = BusinessCalendar(municipality, range(period.start.year, period.end.year + 1))
    return calendar.business_days_between(period.start - timedelta(days=1), period.end)
