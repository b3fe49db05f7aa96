"""The member table of a goal as plain values, for the CSV and Excel files of the goal's page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from yakusho.plans import figures
from yakusho.plans.joint_goals.standing import GoalStanding
from yakusho.plans.joint_goals.targets import ShownTarget
from yakusho.plans.models import JointGoal

Kind = JointGoal.Kind


def export_table(row: GoalStanding) -> tuple[list[str], list[list[Any]]]:
    """The goal's member table as a header and rows of plain values (numbers stay numbers, dates
    dates); the views write it as CSV or Excel, neutralised (``core.spreadsheets``)."""
    goal, target = row.goal, row.target
    rows: list[list[Any]] = []
    if goal.kind == Kind.LIST:
        header = [
            _("団体"),
            *[item.name for item in row.items],
            _("完了"),
            _("対象（母数）"),
            _("対象外（母数に含めない）"),
            _("未回答（母数に含める）"),
            _("完了の割合（%、切り捨て）"),
            _("比べる目標"),
            _("判定"),
            _("備考"),
        ]
        for m in row.members:
            notes = "／".join(f"{c.item.name}：{c.note}" for c in m.cells if c.note)
            rows.append(
                [
                    m.municipality.name,
                    *[c.label for c in m.cells],
                    m.done_count,
                    m.applicable,
                    m.not_applicable,
                    m.unanswered_items,
                    m.percent,
                    _target_words(target, row.unit),
                    m.judgement,
                    "／".join([notes, *m.remarks]) if notes else "／".join(m.remarks),
                ]
            )
        return header, rows
    if goal.kind == Kind.TEXT:
        header = [_("団体"), _("状態"), _("達成日"), _("比べる目標"), _("備考")]
        rows = [
            [m.municipality.name, m.label, m.done_on, _target_words(target, ""), m.note] for m in row.members
        ]
        return header, rows
    header = [
        _("団体"),
        _("状態"),
        _("計測に使う指標"),
        _("最新の値"),
        _("単位"),
        _("値の年度・時点"),
        _("比べる目標"),
        _("目標値"),
        _("目標に対する割合（%）"),
        _("判定"),
        _("備考"),
    ]
    for m in row.members:
        measure = f"{m.measure_kind}「{m.measure_name}」" if m.measure_name else ""
        rows.append(
            [
                m.municipality.name,
                m.label,
                measure,
                figures.excel_number(m.value),
                m.unit,
                m.when,
                target.caption,
                figures.excel_number(target.value),
                m.progress,
                m.judgement,
                "／".join(p for p in [m.note, *m.remarks] if p),
            ]
        )
    return header, rows


def _target_words(target: ShownTarget, unit: str) -> str:
    """「令和8年度の目標：70件、…」: the target shown, in words."""
    parts = [figures.format_figure(target.value, unit)] if target.value is not None else []
    if target.text:
        parts.append(target.text)
    return f"{target.caption}：{'、'.join(parts)}" if parts else target.caption
