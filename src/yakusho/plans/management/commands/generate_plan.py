"""``yakusho generate-plan``: write a large synthetic plan file (for tests and benchmarks)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakusho.core.models import Department, Municipality
from yakusho.plans.demo.synthetic import generate
from yakusho.plans.planfile.export import dump_yaml


class Command(BaseCommand):
    help = "Write a synthetic plan file to stdout."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--municipality", required=True, help="slug")
        parser.add_argument("--nodes", type=int, default=2000)
        parser.add_argument("--kpis", type=int, default=5000)
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument("--key", default="synthetic")

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(slug=options["municipality"]).first()
        if municipality is None:
            raise CommandError("no such municipality")
        departments = list(Department.objects.for_municipality(municipality).values_list("name", flat=True))
        data = generate(
            municipality.code,
            nodes=options["nodes"],
            kpis=options["kpis"],
            years=options["years"],
            departments=departments or None,
            key=options["key"],
        )
        self.stdout.write(dump_yaml(data), ending="")
