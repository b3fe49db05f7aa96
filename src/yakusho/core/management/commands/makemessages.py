"""``makemessages`` that also extracts ``N_("…")``: the short name modules give ``gettext_noop``
for labels translated later (transition tables, status texts). Django's own command knows only
the long names, so without this those labels never reached the English catalogue."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
