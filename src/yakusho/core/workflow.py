"""One way to write a status workflow: states, one table of transitions with who may make each, and
one error type for a refused action.

A workflow (node reviews, submissions, queue tickets, questions residents leave for staff, and the
coming one of payments) is a :class:`Workflow` over a table of :class:`Transition` rows::

    TRANSITIONS = Workflow(
        {
            "submit": Transition(N_("提出する"), {S.DRAFT}, S.SUBMITTED, {Role.DEPARTMENT}),
            ...
        },
        model=NodeReview,
        error=ReviewError,
        wrong_state=N_("「%(state)s」の評価には、この操作はできません。"),
    )
    rule = TRANSITIONS.check("submit", state=review.state, actor=membership.role,
                             names={"state": review.get_state_display()})

The domain function around it locks the row, checks what only the domain knows (the 課 of a
department's staff, a required message), sets ``rule.target`` and saves: every workflow model is
registered with the audit trail, so each transition is recorded with the acting staff member and
the state before and after. Messages are the domain's own wording, in Japanese, translated when
raised; ``names`` fills them (``action`` is always given: the transition's label).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_


class TransitionRefused(Exception):
    """A refused workflow action, with a message for the person who tried it.

    Each workflow raises its own subclass (``ReviewError``, ``SubmissionError``, ``QueueError``), so
    a caller may catch one workflow's refusals or any workflow's."""


@dataclass(frozen=True, init=False)
class Transition:
    """One row of a workflow's table: from which states, to which state, who may make it."""

    label: str
    source: frozenset[str]
    target: str
    actors: frozenset[str]
    #: workflow-specific flags (e.g. a message required, only the actor's own 課)
    flags: frozenset[str]

    def __init__(
        self,
        label: str,
        source: Iterable[str],
        target: str,
        actors: Iterable[str],
        *,
        flags: Iterable[str] = (),
    ) -> None:
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "source", frozenset(source))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "actors", frozenset(actors))
        object.__setattr__(self, "flags", frozenset(flags))

    def has(self, flag: str) -> bool:
        return flag in self.flags


class Workflow(Mapping[str, Transition]):
    """A table of transitions by action name, read like a dict, with the checks every workflow makes."""

    def __init__(
        self,
        transitions: Mapping[str, Transition],
        *,
        model: type[Model],
        error: type[TransitionRefused],
        wrong_state: str,
        wrong_actor: str = N_("この操作（%(action)s）はできません：権限がありません。"),
        unknown: str = N_("不明な操作です。"),
    ) -> None:
        self._transitions = dict(transitions)
        #: the model whose status moves (registered with the audit trail: system check yakusho.E002)
        self.model = model
        self.error = error
        self.wrong_state = wrong_state
        self.wrong_actor = wrong_actor
        self.unknown = unknown

    def __getitem__(self, action: str) -> Transition:
        return self._transitions[action]

    def __iter__(self) -> Iterator[str]:
        return iter(self._transitions)

    def __len__(self) -> int:
        return len(self._transitions)

    def label(self, action: str) -> str:
        return _(self._transitions[action].label)

    def rule(self, action: str) -> Transition:
        """The transition of ``action``; the workflow's error for an unknown one."""
        try:
            return self._transitions[action]
        except KeyError:
            raise self.error(_(self.unknown)) from None

    def refuse(self, template: str, action: str, names: Mapping[str, Any] | None = None) -> TransitionRefused:
        return self.error(_(template) % {"action": self.label(action), **(names or {})})

    def check_actor(self, action: str, actor: str, names: Mapping[str, Any] | None = None) -> Transition:
        rule = self.rule(action)
        if actor not in rule.actors:
            raise self.refuse(self.wrong_actor, action, names)
        return rule

    def check_state(self, action: str, state: str, names: Mapping[str, Any] | None = None) -> Transition:
        rule = self.rule(action)
        if state not in rule.source:
            raise self.refuse(self.wrong_state, action, names)
        return rule

    def check(
        self, action: str, *, state: str, actor: str, names: Mapping[str, Any] | None = None
    ) -> Transition:
        """The transition of ``action`` if ``actor`` may make it from ``state``; the error otherwise
        (an unknown action first, then the actor, then the state)."""
        self.check_actor(action, actor, names)
        return self.check_state(action, state, names)

    def available(self, state: str, actor: str | None = None) -> list[str]:
        """The actions possible from ``state`` (for ``actor``, if given), in the table's order."""
        return [
            action
            for action, rule in self._transitions.items()
            if state in rule.source and (actor is None or actor in rule.actors)
        ]
