"""The demo procedures (data/procedures/*.yaml) against figures counted by hand in the seeds.

How they were counted ("Lnnn" = line of the seed file, 1-based as ``cat -n``):

- 大江町 (003_6176f7d05e1e735d.txt), (1)-1-1: the マイナポータル table lists 子育て ①-⑮ (L66,
  15), 介護 ①-⑩ plus a second ⑩ (L69, 11), 転出 (L70, 1) and 罹災証明 (L71, 1) — 28, as L63
  says; L63 names 3 more online outside マイナポータル: 31 online (L75 「既にオンライン化している
  31 手続き」). The 「今後オンライン化を検討する手続」 table (L78-L85) has 8 (総務課) + 1 (地域振興課)
  + 5 (税務町民課) + 2 (健康福祉課) + 3 (建設水道課) + 1 (教育文化課) = 20 items with a named 課;
  the 3 of 「各担当課」 (L86) are not transcribed. 51 procedures. (1)-1-2 書かない窓口 (L101-L138):
  the 窓口申請システム's certificates 住民票（記載事項証明書を含む）, 印鑑登録証明書, 所得証明書
  (L105: 3 procedures) and, as its extension to 届出 (L133), 転入届 and 国民健康保険の加入届 (2,
  demo choice): 56 procedures, the 5 counter-only (not online). The counter's one-stop by age
  and おくやみ (demo, data/demo/one-stop.yaml) add 後期高齢者医療の資格取得届（転入） and, after a
  death, 国民健康保険・後期高齢者医療 (資格喪失届, 葬祭費: 4), 介護保険の資格喪失届 and 世帯主変更届
  (the systems of L405-L408): 63 procedures, 12 counter-only.
- The national list: 子育て 15 + 介護 11 + 被災者支援 1 = 27 (潮来市 L254, 村上市 L403), plus
  大江町's 引越し one = 28 rows; 大江町 links all 28 of its マイナポータル procedures.
- 潮来市 (001): ② ③ ⑤ ⑫ of 基本方針1 (1) (L255, L256, L290, L297): 4, each planned for R6
  (2024) by its 工程表 row (L329-L347).
- 美郷町 (004): the facility booking of 1-1 (L68), the 健診予約 of 1-8 (L139), two
  certificates of the コンビニ交付 of 3-2 (L228) and the course of 3-1 (L218, demo form): 5;
  plus the 転入 one-stop of 1-3 書かない窓口 (L88-L96: 転入届, 国保, 児童手当, demo choice): 8;
  and 後期高齢者医療の資格取得届（転入）, for visitors of 75 and over (demo): 9.
- Demo forms (data/forms/, README there): 5 of 大江町's planned procedures, 潮来市's 4 and
  美郷町's course take a ``yakusho`` channel: 10 working forms online. Counter forms: 大江町 7
  (転入届, 国保, 児童手当, 介護（転入）, 3 certificates) + 7 (後期高齢者医療（転入）, the 6
  おくやみ ones), 美郷町 3 + 1 (後期高齢者医療（転入）); 水道's file is its version 2 (facts added),
  the only version a fresh demo stores. Forms: 大江町 5 + 14 = 19, 潮来市 4, 美郷町 1 + 4 = 5.
- Counter flags: issues_certificate on 大江町's 3 certificates and 美郷町's 2; paper_at_counter on
  転入届 and 児童手当 in both towns, and 大江町's 世帯主変更届.
- 潟上市 (000): 住民票 and 印鑑証明書 (L98): 2. 村上市 (002): 罹災証明 (L578) and 住民票 (L419): 2.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from yakusho.metrics.registry import Period, registry
from yakusho.procedures.models import (
    ChannelKind,
    ChannelStatus,
    FormDefinition,
    PriorityProcedure,
    Procedure,
    ProcedureChannel,
)


@pytest.fixture
def demo_procedures(demo_with_plans) -> None:
    """The full demo (procedures come with the other apps' demo data)."""


def test_national_list(demo_procedures) -> None:
    groups = Counter(PriorityProcedure.objects.filter(version="2024").values_list("group", flat=True))
    assert groups == {"子育て": 15, "介護": 11, "被災者支援": 1, "引越し": 1}
    second_ten = PriorityProcedure.objects.get(version="2024", key="kaigo-11")
    assert second_ten.title == "居宅（介護予防）サービス計画作成（変更）依頼の届出"


def test_counts_per_municipality(demo_procedures) -> None:
    counts = Counter(Procedure.objects.values_list("municipality__slug", flat=True))
    assert counts == {"oe": 63, "itako": 4, "misato": 9, "katagami": 2, "murakami": 2}


def test_oe_online_and_planned(demo_procedures) -> None:
    oe = Procedure.objects.filter(municipality__slug="oe")
    online = oe.filter(
        channels__kind__in=[ChannelKind.YAKUSHO, ChannelKind.EXTERNAL],
        channels__status=ChannelStatus.AVAILABLE,
    ).distinct()
    mynaportal = oe.filter(channels__service_name="マイナポータル").distinct()
    assert mynaportal.count() == 28
    assert oe.filter(priority__isnull=False).count() == 28
    not_online = oe.exclude(pk__in=online.values("pk"))
    yakusho_online = oe.filter(
        channels__kind=ChannelKind.YAKUSHO, channels__status=ChannelStatus.AVAILABLE
    ).distinct()
    counter_only = not_online.exclude(channels__status=ChannelStatus.PLANNED)
    # 31 online before Yakusho; each demo form moves one of the 20 planned ones online; the 5
    # counter procedures of (1)-1-2 and the 7 of the one-stop by age and おくやみ are neither
    # online nor planned.
    assert online.count() == 31 + yakusho_online.count()
    assert not_online.count() == 20 - yakusho_online.count() + 5 + 7
    assert sorted(counter_only.values_list("key", flat=True)) == [
        "inkan-shoumei-koufu",
        "juminhyo-koufu",
        "kaigo-soushitsu",
        "kokuho-kanyu",
        "kokuho-sousaihi",
        "kokuho-soushitsu",
        "kouki-koureisha-soushitsu",
        "kouki-koureisha-tennyuu",
        "kouki-sousaihi",
        "setainushi-henkou",
        "shotoku-shoumei-koufu",
        "tennyu-todoke",
    ]
    assert set(oe.values_list("department__name", flat=True)) == {
        "健康福祉課",
        "税務町民課",
        "総務課",
        "教育文化課",
        "地域振興課",
        "建設水道課",
    }


def test_itako_items_planned_for_2024(demo_procedures) -> None:
    channels = ProcedureChannel.objects.filter(municipality__slug="itako", kind=ChannelKind.YAKUSHO)
    assert channels.count() == 4
    for channel in channels:
        assert channel.status == ChannelStatus.AVAILABLE or channel.target_fiscal_year == 2024


def test_metrics_on_the_demo(demo_procedures) -> None:
    oe = Procedure.objects.filter(municipality__slug="oe").first()
    assert oe is not None
    town = oe.municipality
    yakusho = registry.measure("procedures.online_yakusho", town, Period.fiscal_year(2026)).value
    assert isinstance(yakusho, int)
    assert registry.measure("procedures.online_all", town, Period.fiscal_year(2026)).value == 31 + yakusho
    online_forms = FormDefinition.objects.filter(
        municipality=town, procedure__channels__kind=ChannelKind.YAKUSHO
    ).values("procedure")
    assert yakusho == online_forms.distinct().count()


def test_oe_kpi_takes_its_actual_from_the_online_figure(demo_procedures) -> None:
    """大江町's KPI 「オンライン化した行政手続き数」 is bound to procedures.online_all in its plan file."""
    from yakusho.plans.models import Kpi

    kpi = Kpi.objects.get(municipality__slug="oe", edition__plan__key="oe-dx", key="kpi-online-procedures")
    assert kpi.name == "オンライン化した行政手続き数" and kpi.metric == "procedures.online_all"
    figure = registry.measure(kpi.metric, kpi.municipality, Period.fiscal_year(2026))
    assert (
        figure.value
        == Procedure.objects.filter(municipality__slug="oe")
        .filter(
            channels__kind__in=[ChannelKind.YAKUSHO, ChannelKind.EXTERNAL],
            channels__status=ChannelStatus.AVAILABLE,
        )
        .distinct()
        .count()
    )


def test_demo_forms_are_attached(demo_procedures) -> None:
    forms = Counter(FormDefinition.objects.values_list("municipality__slug", flat=True))
    assert forms == {"oe": 19, "itako": 4, "misato": 5}
    yakusho = ProcedureChannel.objects.filter(kind=ChannelKind.YAKUSHO, status=ChannelStatus.AVAILABLE)
    assert yakusho.count() == 10
    suido = FormDefinition.objects.filter(municipality__slug="oe", procedure__key="suido-kaishi")
    assert list(suido.values_list("version", flat=True)) == [2]


def test_counter_procedures_of_the_moving_in_one_stop(demo_procedures) -> None:
    """The procedures the counter's 転入 one-stop names have a form, a counter channel and no
    Yakusho channel unless they had one before; certificates and paper forms are flagged."""
    one_stop = {
        "oe": [
            "tennyu-todoke",
            "kokuho-kanyu",
            "jidou-teate-nintei",
            "youkaigo-tennyuu",
            "suido-kaishi",
            "juminhyo-koufu",
            "inkan-shoumei-koufu",
            "shotoku-shoumei-koufu",
        ],
        "misato": ["tennyu-todoke", "kokuho-kanyu", "jidou-teate-nintei"],
    }
    for slug, keys in one_stop.items():
        procedures = {p.key: p for p in Procedure.objects.filter(municipality__slug=slug, key__in=keys)}
        assert sorted(procedures) == sorted(keys)
        with_form = set(
            FormDefinition.objects.filter(procedure__in=procedures.values()).values_list(
                "procedure__key", flat=True
            )
        )
        assert with_form == set(keys)
        for p in procedures.values():
            kinds = {c.kind for c in p.channels.all() if c.status == ChannelStatus.AVAILABLE}
            assert ChannelKind.COUNTER in kinds, p.key
            assert (ChannelKind.YAKUSHO in kinds) == (p.key == "suido-kaishi"), p.key
    certificates = Procedure.objects.filter(issues_certificate=True)
    assert sorted(certificates.values_list("municipality__slug", "key")) == [
        ("misato", "inkan-shoumei"),
        ("misato", "juuminhyou"),
        ("oe", "inkan-shoumei-koufu"),
        ("oe", "juminhyo-koufu"),
        ("oe", "shotoku-shoumei-koufu"),
    ]
    paper = Procedure.objects.filter(paper_at_counter=True)
    assert sorted(paper.values_list("municipality__slug", "key")) == [
        ("misato", "jidou-teate-nintei"),
        ("misato", "tennyu-todoke"),
        ("oe", "jidou-teate-nintei"),
        ("oe", "setainushi-henkou"),
        ("oe", "tennyu-todoke"),
    ]


def test_loading_the_demo_twice_changes_nothing(demo_procedures) -> None:
    before = (Procedure.objects.count(), ProcedureChannel.objects.count(), FormDefinition.objects.count())
    call_command("demo", quiet_logins=True, verbosity=0)
    assert (
        Procedure.objects.count(),
        ProcedureChannel.objects.count(),
        FormDefinition.objects.count(),
    ) == before
