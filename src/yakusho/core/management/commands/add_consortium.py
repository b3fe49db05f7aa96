"""``yakusho add-consortium NAME CODE…``: a consortium of registered municipalities."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yakusho.core import localgov
from yakusho.core.models.tenancy import ConsortiumKind


class Command(BaseCommand):
    help = "Create a consortium (prefecture, 電算組合, other) of municipalities given by their codes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("codes", nargs="+", metavar="CODE")
        parser.add_argument("--slug", default="", help="URL name; default: c + the first member's code")
        parser.add_argument("--kind", default=ConsortiumKind.OTHER, choices=list(ConsortiumKind.values))

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        try:
            consortium = localgov.create_consortium(
                options["name"], options["codes"], options["slug"], options["kind"]
            )
        except localgov.SetupError as exc:
            raise CommandError(str(exc)) from None
        members = "、".join(m.name for m in consortium.members.order_by("code"))
        self.stdout.write(
            self.style.SUCCESS(
                f"広域連携「{consortium.name}」（{consortium.slug}）を登録しました。構成団体：{members}"
            )
        )
