"""``yakusho createoperator --email …``: create (or promote) a system operator (運用管理者).

A system operator manages every municipality and consortium on the pages under
``/staff/operator/`` (docs/operator.md) and must set up two-factor authentication at first sign-in.
An operator needs no membership in any municipality. ``--revoke`` takes the role away again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yakusho.core.management.newaccount import new_account
from yakusho.core.models import User


class Command(BaseCommand):
    help = "Create a system operator account (or give an existing account the role, or --revoke it)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--password-env",
            default="YAKUSHO_OPERATOR_PASSWORD",
            help="environment variable holding the password of a new account when there is no terminal",
        )
        parser.add_argument("--revoke", action="store_true", help="take the operator role away")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        user = User.objects.filter(email=email).first()
        if options["revoke"]:
            if user is None or not user.is_operator:
                raise CommandError(f"{email} は運用管理者ではありません。")
            user.is_operator = False
            user.save(update_fields=["is_operator"])
            self.stdout.write(self.style.SUCCESS(f"{email} は運用管理者ではなくなりました。"))
            return
        if user is None:
            user = new_account(email, options["name"], options["password_env"])
        user.is_operator = True
        user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"{email} は運用管理者です。"
                "初回ログインで二要素認証を設定し、/staff/operator/ を開いてください。"
            )
        )
