"""``yakusho add-consortium NAME CODE…``: a consortium of registered municipalities."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yakusho.core import localgov
from yakusho.core.models import Consortium, Municipality
from yakusho.core.models.tenancy import ConsortiumKind
from yakusho.core.validators import normalize_text


class Command(BaseCommand):
    help = "Create a consortium (prefecture, 電算組合, other) of municipalities given by their codes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("codes", nargs="+", metavar="CODE")
        parser.add_argument("--slug", default="", help="URL name; default: c + the first member's code")
        parser.add_argument("--kind", default=ConsortiumKind.OTHER, choices=list(ConsortiumKind.values))

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        name = normalize_text(options["name"])
        if not name:
            raise CommandError("名称を入力してください。")
        members: list[Municipality] = []
        for code in options["codes"]:
            problem = localgov.code_problem(code)
            if problem:
                raise CommandError(problem)
            municipality = Municipality.objects.filter(code=normalize_text(code)).first()
            if municipality is None:
                raise CommandError(
                    f"コード {normalize_text(code)} の団体はまだ登録されていません。"
                    "先に yakusho add-municipality で登録してください。"
                )
            if municipality not in members:
                members.append(municipality)
        if Consortium.objects.filter(name=name).exists():
            raise CommandError(f"広域連携「{name}」はすでにあります。")
        slug = options["slug"] or f"c{members[0].code}"
        consortium = Consortium(slug=slug, name=name, kind=options["kind"])
        try:
            consortium.full_clean()
        except ValidationError as exc:
            labels = {"slug": "URL名（--slug）", "name": "名称"}
            raise CommandError(
                " ".join(f"{labels.get(k, k)}：{' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        consortium.save()
        consortium.members.set(members)
        self.stdout.write(
            self.style.SUCCESS(
                f"広域連携「{name}」（{slug}）を登録しました。構成団体：" + "、".join(m.name for m in members)
            )
        )
