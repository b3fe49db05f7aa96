"""DX plans: editions of a plan, its policy tree, schedules, KPIs, observations, glossary, figures
and lists (``plan``); reviews per period with grading scales and external evaluation (``review``);
consortium joint goals (``joint``).

A ``Plan`` is the identity (municipality + key); each ``PlanEdition`` (版) holds what that edition
of the document says, so importing a new edition keeps the old one. Nodes, KPIs and schedule
rows carry keys that stay the same across editions, so editions can be compared by key.
National items and standard indicators are global reference data loaded from ``data/``.
"""

from __future__ import annotations

from typing import Any

from yakusho.plans.models.joint import (
    JointGoal,
    JointGoalItem,
    JointGoalItemStatus,
    JointGoalLink,
    JointGoalTarget,
)
from yakusho.plans.models.plan import (
    ClosingReview,
    DatePrecision,
    GlossaryTerm,
    GradedItem,
    Kpi,
    KpiActual,
    KpiTarget,
    NationalFramework,
    NationalItem,
    Node,
    NodeContinuation,
    NodeDepartment,
    Observation,
    Plan,
    PlanEdition,
    PlanFigure,
    PlanList,
    ReviewPeriod,
    ScheduleEntry,
    StandardIndicator,
)
from yakusho.plans.models.review import (
    ExternalEvaluation,
    GradingScale,
    KpiGrade,
    KpiPeriodActual,
    NodeReview,
    ProgressNote,
    ReminderLog,
    ReviewAmendment,
    ReviewCycle,
    ReviewEvidence,
    ReviewGrade,
    evidence_path,
)

#: every model that belongs to one municipality (audited, and checked for tenancy in tests)
TENANT_MODELS: list[Any] = [
    Plan,
    PlanEdition,
    Node,
    NodeDepartment,
    ScheduleEntry,
    Kpi,
    KpiTarget,
    KpiActual,
    Observation,
    GlossaryTerm,
    PlanFigure,
    PlanList,
    NodeContinuation,
    ClosingReview,
    GradingScale,
    ReviewGrade,
    ReviewCycle,
    NodeReview,
    ReviewAmendment,
    ReviewEvidence,
    ProgressNote,
    ReminderLog,
    KpiPeriodActual,
    KpiGrade,
    ExternalEvaluation,
    JointGoal,
    JointGoalLink,
    JointGoalTarget,
    JointGoalItem,
    JointGoalItemStatus,
]

__all__ = [
    "TENANT_MODELS",
    "ClosingReview",
    "DatePrecision",
    "ExternalEvaluation",
    "GlossaryTerm",
    "GradedItem",
    "GradingScale",
    "JointGoal",
    "JointGoalItem",
    "JointGoalItemStatus",
    "JointGoalLink",
    "JointGoalTarget",
    "Kpi",
    "KpiActual",
    "KpiGrade",
    "KpiPeriodActual",
    "KpiTarget",
    "NationalFramework",
    "NationalItem",
    "Node",
    "NodeContinuation",
    "NodeDepartment",
    "NodeReview",
    "Observation",
    "Plan",
    "PlanEdition",
    "PlanFigure",
    "PlanList",
    "ProgressNote",
    "ReminderLog",
    "ReviewAmendment",
    "ReviewCycle",
    "ReviewEvidence",
    "ReviewGrade",
    "ReviewPeriod",
    "ScheduleEntry",
    "StandardIndicator",
    "evidence_path",
]
