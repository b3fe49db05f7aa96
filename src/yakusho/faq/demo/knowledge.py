"""``yakusho demo`` loads the FAQ files of ``data/faq/`` (a ``demo_loaded`` receiver, after the
procedures and the bookings, which the entries link to), a few questions residents left for staff
to answer, and the demo log of questions asked (``faq.demo.queries``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from yakusho.core import shortcodes
from yakusho.core.models import Department, Municipality
from yakusho.faq.files import FaqFileInvalid, faq_files, import_file
from yakusho.faq.models import Question

#: questions no entry answers, left by demo residents: (town, hours ago, 課, text)
DEMO_QUESTIONS = (
    (
        "oe",
        20,
        "税務町民課",
        "町外に住む親の介護のために住所を移さず町に来ています。ごみの出し方は町民と同じでいいですか？",
    ),
    ("oe", 44, None, "左沢駅の近くで、夜に子どもを遊ばせられる屋内の場所はありますか？"),
    ("oe", 70, "健康福祉課", "予防接種の予診票をなくしました。再発行はどこでできますか？"),
    ("misato", 26, "住民生活課", "美郷町に引っ越す前に、ごみの収集カレンダーを見ることはできますか？"),
    ("misato", 52, None, "町営のテニスコートは雨の日でも使えますか？"),
)
DEMO_EMAIL = "jumin.demo@example.jp"


def load_demo_faq(sender: Any, **kwargs: Any) -> str:
    results = []
    for path in faq_files():
        try:
            results.append(import_file(path))
        except FaqFileInvalid as exc:
            raise CommandError(str(exc)) from None
    entries = sum(r.created + r.updated + r.unchanged for r in results)
    questions = load_demo_questions()
    return (
        f"FAQ: {len(results)} files, {entries} entries ({sum(r.created for r in results)} new), "
        f"{questions} demo questions left for staff."
    )


@transaction.atomic
def load_demo_questions() -> int:
    """The demo towns' open questions, once (a town that has demo questions gets none again)."""
    made = 0
    now = timezone.now()
    towns = {m.slug: m for m in Municipality.objects.filter(slug__in={q[0] for q in DEMO_QUESTIONS})}
    done = set(
        Question.objects.filter(municipality__in=towns.values(), is_demo=True).values_list(
            "municipality__slug", flat=True
        )
    )
    for slug, hours, department_name, text in DEMO_QUESTIONS:
        town = towns.get(slug)
        if town is None or slug in done:
            continue
        department = (
            Department.objects.for_municipality(town).filter(name=department_name).first()
            if department_name
            else None
        )
        Question.objects.create(
            municipality=town,
            code=shortcodes.generate(),
            asked_at=now - timedelta(hours=hours),
            text=text,
            email=DEMO_EMAIL,
            department=department,
            is_demo=True,
        )
        made += 1
    return made
