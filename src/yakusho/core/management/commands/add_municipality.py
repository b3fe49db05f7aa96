"""``yakusho add-municipality CODE [--slug …] [--email …]``: a municipality from the national list."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yakusho.core import localgov


class Command(BaseCommand):
    help = (
        "Create a municipality from its 全国地方公共団体コード (6 digits with the check digit): name, "
        "kana, prefecture and kind come from the national list."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("code", help="全国地方公共団体コード, e.g. 063223")
        parser.add_argument("--slug", default="", help="URL name (/m/<slug>/); default: the code")
        parser.add_argument(
            "--email", default="", help="sender address of its mail; default: DEFAULT_FROM_EMAIL"
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        try:
            municipality = localgov.create_municipality(options["code"], options["slug"], options["email"])
        except localgov.SetupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{municipality.prefecture}{municipality.name}（{municipality.kana}、{municipality.code}）を"
                f"登録しました。URL: /m/{municipality.slug}/ 送信元: {municipality.email_from}"
            )
        )
