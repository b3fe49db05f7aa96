"""Generated procedures for benchmarks and scale tests (``bench/procedure_search.py``)."""

from __future__ import annotations

import random

from yakusho.core.models import Department, Municipality
from yakusho.procedures.models import (
    ChannelKind,
    ChannelStatus,
    LifeEvent,
    Procedure,
    ProcedureChannel,
    ProcedureLifeEvent,
)

_SUBJECTS = [
    ("住民票", "じゅうみんひょう"),
    ("印鑑登録", "いんかんとうろく"),
    ("児童手当", "じどうてあて"),
    ("介護保険", "かいごほけん"),
    ("国民健康保険", "こくみんけんこうほけん"),
    ("粗大ごみ", "そだいごみ"),
    ("水道", "すいどう"),
    ("犬", "いぬ"),
    ("保育所", "ほいくしょ"),
    ("固定資産税", "こていしさんぜい"),
    ("道路占用", "どうろせんよう"),
    ("公民館", "こうみんかん"),
    ("空き家", "あきや"),
    ("罹災証明", "りさいしょうめい"),
    ("軽自動車税", "けいじどうしゃぜい"),
]
_ACTIONS = [
    ("の交付申請", "のこうふしんせい"),
    ("の届出", "のとどけで"),
    ("の変更届", "のへんこうとどけ"),
    ("の再交付申請", "のさいこうふしんせい"),
    ("の利用申込", "のりようもうしこみ"),
    ("の減免申請", "のげんめんしんせい"),
]


def generate(municipality: Municipality, count: int, *, seed: int = 7, prefix: str = "gen") -> int:
    """Create ``count`` published procedures with channels and life events (bulk, fast)."""
    rng = random.Random(seed)  # noqa: S311 - generated data, not secrets
    departments = list(Department.objects.for_municipality(municipality))
    if not departments:
        departments = [Department.objects.create(municipality=municipality, name="総務課", kana="そうむか")]
    events = list(LifeEvent)
    procedures = []
    for n in range(count):
        subject, subject_kana = rng.choice(_SUBJECTS)
        action, action_kana = rng.choice(_ACTIONS)
        department = rng.choice(departments)
        procedure = Procedure(
            municipality=municipality,
            department=department,
            key=f"{prefix}-{n:05d}",
            name=f"{subject}{action}（{n}）",
            kana=f"{subject_kana}{action_kana}",
            summary=f"{subject}に関する手続です。",
            description=f"{subject}{action}について説明します。必要なものを確認してください。",
            documents=["本人確認書類"],
            processing_days=rng.choice([None, 5, 10, 14]),
            order=n,
        )
        procedure.department = department
        procedures.append(procedure)
    Procedure.objects.bulk_create(procedures, batch_size=500)
    created = list(Procedure.objects.for_municipality(municipality).filter(key__startswith=f"{prefix}-"))
    channels, links = [], []
    for procedure in created:
        channels.append(
            ProcedureChannel(municipality=municipality, procedure=procedure, kind=ChannelKind.COUNTER)
        )
        if rng.random() < 0.4:
            channels.append(
                ProcedureChannel(
                    municipality=municipality,
                    procedure=procedure,
                    kind=ChannelKind.EXTERNAL,
                    service_name="マイナポータル",
                    status=rng.choice([ChannelStatus.AVAILABLE, ChannelStatus.PLANNED]),
                    order=1,
                )
            )
        for event in rng.sample(events, 2):
            links.append(ProcedureLifeEvent(municipality=municipality, procedure=procedure, event=event))
    ProcedureChannel.objects.bulk_create(channels, batch_size=500)
    ProcedureLifeEvent.objects.bulk_create(links, batch_size=500)
    return len(created)
