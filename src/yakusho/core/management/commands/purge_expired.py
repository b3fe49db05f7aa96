"""``yakusho purge-expired``: erase personal data whose retention period has passed."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from yakusho.core.audit import erase_with_history
from yakusho.core.models import Invitation
from yakusho.core.scheduling import ScheduledCommand


class Command(ScheduledCommand):
    help = "Erase expired personal data, and its audit history, under the retention rules."

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - Invitation.RETENTION
        old = Invitation.objects.filter(
            Q(accepted_at__lt=cutoff) | Q(accepted_at__isnull=True, expires_at__lt=cutoff)
        )
        count = 0
        for invitation in old:
            erase_with_history(invitation, "保存期間（招待の受諾・失効から30日）の経過")
            count += 1
        self.stdout.write(f"erased {count} invitation(s)")
