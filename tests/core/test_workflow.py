"""The shared workflow helper (core.workflow) behind reviews, submissions and queue tickets."""

from __future__ import annotations

import pytest
from auditlog.registry import auditlog
from django.utils import translation

from yakusho.bookings.queue.services import TRANSITIONS as QUEUE
from yakusho.bookings.queue.services import QueueError
from yakusho.core.models import Municipality
from yakusho.core.workflow import Transition, TransitionRefused, Workflow
from yakusho.plans.review.services import TRANSITIONS as REVIEWS
from yakusho.plans.review.services import ReviewError
from yakusho.procedures.submissions.services import TRANSITIONS as SUBMISSIONS
from yakusho.procedures.submissions.services import SubmissionError


class DoorError(TransitionRefused):
    pass


DOOR = Workflow(
    {
        "open": Transition("開ける", {"closed"}, "open", {"staff", "resident"}),
        "close": Transition("閉める", {"open"}, "closed", {"staff"}, flags={"loud"}),
        "lock": Transition("施錠する", {"closed"}, "locked", {"staff"}),
    },
    model=Municipality,
    error=DoorError,
    wrong_state="「%(state)s」の扉は「%(action)s」ことができません。",
)


def test_a_table_reads_like_a_mapping_and_answers_what_is_possible() -> None:
    assert list(DOOR) == ["open", "close", "lock"] and len(DOOR) == 3
    assert DOOR["close"].has("loud") and not DOOR["open"].has("loud")
    assert DOOR.available("closed") == ["open", "lock"]
    assert DOOR.available("closed", "resident") == ["open"]


def test_refusals_are_the_workflows_own_error_with_its_wording() -> None:
    with translation.override("ja"):
        with pytest.raises(DoorError, match="不明な操作です。"):
            DOOR.rule("kick")
        with pytest.raises(DoorError, match=r"この操作（施錠する）はできません：権限がありません。"):
            DOOR.check("lock", state="closed", actor="resident")
        with pytest.raises(DoorError, match="「開いている」の扉は「施錠する」ことができません。"):
            DOOR.check("lock", state="open", actor="staff", names={"state": "開いている"})
        assert DOOR.check("lock", state="closed", actor="staff").target == "locked"


@pytest.mark.parametrize(
    ("table", "error"), [(REVIEWS, ReviewError), (SUBMISSIONS, SubmissionError), (QUEUE, QueueError)]
)
def test_every_workflow_of_the_project_is_one(table: Workflow, error: type[Exception]) -> None:
    assert isinstance(table, Workflow) and table.error is error
    assert auditlog.contains(table.model), "each transition is saved, so the audit trail records it"
    assert issubclass(error, TransitionRefused)
    for action, rule in table.items():
        assert rule.label and rule.source and rule.actors, action
        assert table.label(action)
