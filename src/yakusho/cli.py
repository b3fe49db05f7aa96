"""The ``yakusho`` command: Django's management commands under friendlier names.

``yakusho demo``, ``yakusho serve``, ``yakusho createadmin``, ``yakusho send-mail``,
``yakusho purge-expired``; any other name is passed to Django (``yakusho migrate``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yakusho.settings")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "yakusho"
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":  # pragma: no cover
    main()
