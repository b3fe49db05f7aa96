"""``yakusho createadmin``: create (or promote) the administrator of a municipality."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yakusho.core.management.newaccount import new_account
from yakusho.core.models import Membership, Municipality, Role, User


class Command(BaseCommand):
    help = "Create a staff account with the administrator role in a municipality."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--municipality", required=True, help="URL name (slug) of the municipality")
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--password-env",
            default="YAKUSHO_ADMIN_PASSWORD",
            help="environment variable holding the password when there is no terminal",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(slug=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"団体「{options['municipality']}」が見つかりません。")
        email = options["email"].strip().lower()
        user = User.objects.filter(email=email).first()
        if user is None:
            user = new_account(email, options["name"], options["password_env"])
            user.save()
        Membership.objects.update_or_create(
            user=user, municipality=municipality, defaults={"role": Role.ADMIN, "is_active": True}
        )
        self.stdout.write(self.style.SUCCESS(f"{email} は {municipality.name} の団体管理者です。"))
