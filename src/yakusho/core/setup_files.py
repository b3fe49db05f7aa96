"""Files a first run can import (``yakusho setup --plan … --procedures …``), contributed by the apps
that own them, so that core's setup command imports no other app (the import contract "core-alone").

Each app registers its importer in its own ``setup_files.py`` (found by :meth:`Registry.autodiscover`
when core is ready)::

    setup_files.register("plan", label="計画ファイル", owner_key="municipality", owner=lambda m: m.code,
                         run=import_plan_file)

``run(path)`` imports the file and returns a line for the transcript; it raises
:class:`SetupFileInvalid` with the file's errors (line and message) and saves nothing then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yakusho.core.registry import Registry


class SetupFileInvalid(Exception):
    """A file setup cannot import: its errors, one line each."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class SetupFile:
    key: str
    label: str
    #: the key of the file naming its municipality, and what it must say for this one
    owner_key: str
    owner: Callable[[Any], str]
    run: Callable[[str], str]


class SetupFileRegistry(Registry[SetupFile]):
    def __init__(self) -> None:
        super().__init__("setup file", module="setup_files")

    def register(
        self, key: str, *, label: str, owner_key: str, owner: Callable[[Any], str], run: Callable[[str], str]
    ) -> None:
        self.add(key, SetupFile(key, label, owner_key, owner, run))


setup_files = SetupFileRegistry()
