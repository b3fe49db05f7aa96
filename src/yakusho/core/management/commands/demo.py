"""``yakusho demo``: load the five municipalities of the source plans and one staff user per role."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from django.core.management.base import BaseCommand
from django.db import transaction

from yakusho.core.demo import demo_loaded
from yakusho.core.models import (
    Consortium,
    ConsortiumMembership,
    Department,
    Membership,
    Municipality,
    Role,
    User,
)
from yakusho.core.models.tenancy import ConsortiumKind

DEMO_PASSWORD = "yakusho-demo-2026"  # noqa: S105 - printed for the demo, documented in README
DEMO_USERS: list[tuple[str, str, str | None]] = [
    ("admin@example.jp", "団体管理者（デモ）", Role.ADMIN),
    ("dx@example.jp", "DX推進室（デモ）", Role.SECRETARIAT),
    ("dept@example.jp", "担当課職員（デモ）", Role.DEPARTMENT),
    ("counter@example.jp", "窓口職員（デモ）", Role.COUNTER),
    ("hq@example.jp", "DX推進本部員（デモ）", Role.HQ),
    ("consortium@example.jp", "広域連携職員（デモ）", None),
]
#: the system operator (運用管理者) of the demo: no membership, every municipality on its own pages
DEMO_OPERATOR = ("operator@example.jp", "運用管理者（デモ）")


def load_demo_data() -> dict[str, Any]:
    text = resources.files("yakusho.core.demo").joinpath("municipalities.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


class Command(BaseCommand):
    help = "Load the demo municipalities, departments, the 秋田県 consortium and demo staff."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the logins")
        parser.add_argument(
            "--core-only", action="store_true", help="skip the demo data other apps add (e.g. the plans)"
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        data = load_demo_data()
        municipalities: dict[str, Municipality] = {}
        for row in data["municipalities"]:
            m, _ = Municipality.objects.update_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "name_en": row.get("name_en", ""),
                    "kana": row["kana"],
                    "prefecture": row["prefecture"],
                    "kind": row["kind"],
                    "code": row["code"],
                    "population": row.get("population"),
                    "website": row.get("website", ""),
                    "email_from": row["email_from"],
                    "is_demo": True,
                },
            )
            m.full_clean()
            municipalities[m.slug] = m
            for order, dep in enumerate(row["departments"], start=1):
                Department.objects.update_or_create(
                    municipality=m,
                    name=dep["name"],
                    defaults={
                        "kana": dep.get("kana", ""),
                        "phone": dep.get("phone", ""),
                        "place": dep.get("place", ""),
                        "hours": dep.get("hours", ""),
                        "contact_is_demo": bool(row.get("department_contacts_are_demo")),
                        "order": order,
                        "is_demo": bool(row.get("departments_are_demo")),
                    },
                )
        akita, _ = Consortium.objects.update_or_create(
            slug="akita", defaults={"name": "秋田県", "kind": ConsortiumKind.PREFECTURE}
        )
        akita.members.set([municipalities["katagami"], municipalities["misato"]])

        for email, name, role in DEMO_USERS:
            user = User.objects.filter(email=email).first() or User(email=email)
            user.display_name = name
            user.is_active = True
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role is None:
                ConsortiumMembership.objects.update_or_create(
                    user=user, consortium=akita, defaults={"is_active": True}
                )
                continue
            for m in municipalities.values():
                membership, _ = Membership.objects.update_or_create(
                    user=user, municipality=m, defaults={"role": role, "is_active": True}
                )
                if role == Role.DEPARTMENT:
                    first = Department.objects.for_municipality(m).order_by("order").first()
                    membership.departments.set([first] if first else [])

        email, name = DEMO_OPERATOR
        operator = User.objects.filter(email=email).first() or User(email=email)
        operator.display_name = name
        operator.is_active = True
        operator.is_operator = True
        operator.set_password(DEMO_PASSWORD)
        operator.save()

        extra = [] if options["core_only"] else [str(r) for _, r in demo_loaded.send(sender=self.__class__)]
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {len(municipalities)} municipalities, "
                f"{Department.objects.count()} departments, consortium {akita.name}."
            )
        )
        for line in extra:
            self.stdout.write(self.style.SUCCESS(line))
        if not options["quiet_logins"]:
            self.stdout.write(f"Demo staff logins (password for all: {DEMO_PASSWORD}):")
            for email, name, _role in DEMO_USERS:
                self.stdout.write(f"  {email:<24} {name}")
            self.stdout.write(f"  {DEMO_OPERATOR[0]:<24} {DEMO_OPERATOR[1]}")
            self.stdout.write(
                "  The administrator and the operator set up two-factor authentication at first login."
            )
