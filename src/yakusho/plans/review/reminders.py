"""Review reminders: to each department with reviews still to submit, N days before the due date,
on the due date and weekly while overdue; and a digest to the secretariat. Mail goes through the
outbox; a `ReminderLog` row per reminder makes repeated runs send nothing twice."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from yakusho.core.jcal import format_wareki_date
from yakusho.core.models import Department, Membership, Role
from yakusho.core.outbox import queue_mail
from yakusho.core.services import absolute
from yakusho.plans.models import NodeReview, ReminderLog, ReviewCycle

PENDING = [NodeReview.State.DRAFT, NodeReview.State.RETURNED]


def _occasion(cycle: ReviewCycle, today: date) -> str | None:
    """Which reminder today is for this cycle, if any: before-N, due, overdue-wK."""
    conf: dict[str, Any] = settings.YAKUSHO_REVIEW_REMINDERS
    days_before: list[int] = list(conf["DAYS_BEFORE"])
    days = (cycle.due_date - today).days
    if days > 0 and days in days_before:
        return f"before-{days}"
    if days == 0:
        return "due"
    if days < 0 and conf["WEEKLY_WHEN_OVERDUE"] and -days % 7 == 0:
        return f"overdue-w{-days // 7}"
    return None


def _once(cycle: ReviewCycle, key: str) -> bool:
    """Record the reminder; False if it was already sent (by this run or another)."""
    try:
        with transaction.atomic():
            ReminderLog.objects.create(municipality_id=cycle.municipality_id, cycle=cycle, key=key)
    except IntegrityError:
        return False
    return True


def contacts(department: Department) -> list[str]:
    members = Membership.objects.filter(
        municipality_id=department.municipality_id,
        role=Role.DEPARTMENT,
        departments=department,
        is_active=True,
        user__is_active=True,
    ).values_list("user__email", flat=True)
    addresses = ([department.email] if department.email else []) + list(members)
    return sorted(set(addresses))


def send_reminders(today: date) -> int:
    """Queue today's reminders for every open cycle; returns how many mails were queued."""
    queued = 0
    for cycle in ReviewCycle.objects.filter(state=ReviewCycle.State.OPEN).select_related(
        "edition", "municipality"
    ):
        occasion = _occasion(cycle, today)
        if occasion is None:
            continue
        pending: dict[Department | None, list[NodeReview]] = defaultdict(list)
        for review in cycle.node_reviews.filter(state__in=PENDING).select_related("node", "department"):
            pending[review.department].append(review)
        if not pending:
            continue
        year = cycle.label  # 令和8年度, or 令和8年度 上半期 for a review per period
        due = format_wareki_date(cycle.due_date)
        url = absolute(reverse("reviews:cycle", args=[cycle.municipality.slug, cycle.pk]))
        for department, reviews in pending.items():
            if department is None:
                continue  # reviewed by the secretariat, who get the digest
            to = contacts(department)
            if not to or not _once(cycle, f"{occasion}:{department.pk}"):
                continue
            lines = "\n".join(f"- {r.node.code} {r.node.title}（{r.get_state_display()}）" for r in reviews)
            with transaction.atomic():
                queue_mail(
                    cycle.municipality,
                    to,
                    f"【{cycle.municipality.name}】{cycle.edition.title} {year}の進捗評価（提出期限 {due}）",
                    f"{department.name} のみなさま\n\n{year}の進捗評価で、次の項目がまだ提出されていません。"
                    f"提出期限は {due} です。\n\n{lines}\n\n{url}\n",
                )
            queued += 1
        secretariat = sorted(
            set(
                Membership.objects.filter(
                    municipality=cycle.municipality,
                    role=Role.SECRETARIAT,
                    is_active=True,
                    user__is_active=True,
                ).values_list("user__email", flat=True)
            )
        )
        if secretariat and _once(cycle, f"digest:{today.isoformat()}"):
            summary = "\n".join(
                f"- {(d.name if d else '（課の指定なし）')}: {len(rs)}件"
                for d, rs in sorted(pending.items(), key=lambda item: item[0].order if item[0] else -1)
            )
            queue_mail(
                cycle.municipality,
                secretariat,
                f"【{cycle.municipality.name}】進捗評価の提出状況（{year}、期限 {due}）",
                f"未提出の評価（課ごと）:\n\n{summary}\n\n{url}\n",
            )
            queued += 1
    return queued
