"""Figures the procedures app publishes to the metrics registry (per municipality and period).

Online channels are counted as they stand now: the catalogue keeps no history of when a channel
became available, so a past period gets today's count. ``planned`` counts the channels whose
start is planned for the period's fiscal year(s). Submissions-based figures come with the inbox.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from yakusho.core.jcal import fiscal_year_of
from yakusho.core.models import Municipality
from yakusho.metrics.registry import Period, registry
from yakusho.procedures.models import ChannelKind, ChannelStatus, Procedure, ProcedureChannel

#: the models the catalogue's figures read (their stored figures go stale when one changes)
CATALOGUE = ("procedures.Procedure", "procedures.ProcedureChannel")


def _with_channel(municipality: Municipality, kinds: tuple[str, ...], **conditions: object) -> int:
    channels = ProcedureChannel.objects.filter(procedure=OuterRef("pk"), kind__in=kinds, **conditions)
    return Procedure.objects.for_municipality(municipality).filter(Exists(channels)).count()


@registry.provider(
    "procedures.online_yakusho",
    label_ja="オンライン化した行政手続数（Yakusho）",
    label_en="Procedures online in Yakusho",
    unit="件",
    description="このサイト（Yakusho）でオンライン申請できる手続の数（現在の状況）",
    depends_on=CATALOGUE,
)
def online_yakusho(municipality: Municipality, period: Period) -> int:
    return _with_channel(municipality, (ChannelKind.YAKUSHO,), status=ChannelStatus.AVAILABLE)


@registry.provider(
    "procedures.online_all",
    label_ja="オンライン化した行政手続数（外部サービスを含む）",
    label_en="Procedures online, external services included",
    unit="件",
    description="Yakusho またはマイナポータルなど外部のサービスでオンライン申請できる手続の数（現在の状況）",
    depends_on=CATALOGUE,
)
def online_all(municipality: Municipality, period: Period) -> int:
    return _with_channel(
        municipality, (ChannelKind.YAKUSHO, ChannelKind.EXTERNAL), status=ChannelStatus.AVAILABLE
    )


@registry.provider(
    "procedures.online_planned",
    label_ja="オンライン化を予定している行政手続数",
    label_en="Procedures planned to go online",
    unit="件",
    description="オンラインの方法を期間の年度に開始する予定（準備中）の手続の数",
    depends_on=CATALOGUE,
)
def online_planned(municipality: Municipality, period: Period) -> int:
    years = range(fiscal_year_of(period.start), fiscal_year_of(period.end) + 1)
    return _with_channel(
        municipality,
        (ChannelKind.YAKUSHO, ChannelKind.EXTERNAL),
        status=ChannelStatus.PLANNED,
        target_fiscal_year__in=list(years),
    )


# figures of submissions and of the counter
from yakusho.procedures.counter import metrics as metrics_counter  # noqa: E402, F401
from yakusho.procedures.submissions import metrics as metrics_submissions  # noqa: E402, F401
