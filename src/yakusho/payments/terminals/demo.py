"""The demo terminal: answers as a card and QR terminal does, without a device.

It approves, except for amounts that end in the demo's test endings (as a card brand's test
numbers do): ``…99`` yen is declined (「カードが利用できません」) and ``…98`` yen times out (no answer).
``YAKUSHO_DEMO_TERMINAL_DELAY`` seconds of waiting make it feel like a terminal in a demonstration
(0 in tests). Its transaction numbers are ``DEMO-`` and twelve random characters.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.payments.models import CASHLESS
from yakusho.payments.terminals import terminals
from yakusho.payments.terminals.base import Outcome, PaymentTerminal, TerminalAnswer

DECLINED_ENDING = 99
TIMEOUT_ENDING = 98


class DemoTerminal(PaymentTerminal):
    key = "demo"
    label = gettext_lazy("デモ端末（実際には決済しません）")
    methods = frozenset(CASHLESS)

    @classmethod
    def check_config(cls) -> list[str]:
        delay = getattr(settings, "DEMO_TERMINAL_DELAY", 0)
        if not isinstance(delay, int | float) or delay < 0 or delay > 10:
            return [_("YAKUSHO_DEMO_TERMINAL_DELAY は 0〜10 秒で指定してください。")]
        return []

    def _answer(self, amount_yen: int) -> TerminalAnswer:
        delay = float(getattr(settings, "DEMO_TERMINAL_DELAY", 0))
        if delay:
            time.sleep(delay)
        if amount_yen % 100 == TIMEOUT_ENDING:
            return TerminalAnswer(Outcome.TIMEOUT, message=_("決済端末から応答がありません。"))
        if amount_yen % 100 == DECLINED_ENDING:
            return TerminalAnswer(Outcome.DECLINED, message=_("このカードは利用できません（デモ端末）。"))
        return TerminalAnswer(Outcome.APPROVED, reference="DEMO-" + secrets.token_hex(6).upper())

    def charge(self, amount_yen: int, method: str, reference: str) -> TerminalAnswer:
        return self._answer(amount_yen)

    def refund(self, amount_yen: int, terminal_ref: str, reference: str) -> TerminalAnswer:
        return self._answer(amount_yen)


terminals.add(DemoTerminal.key, DemoTerminal)
