"""Private storage of submission files under ``MEDIA_ROOT/private/`` (never served statically).

- ``private/tmp/``: uploads of a draft (a form page), named by a random token kept in the
  resident's session; removed when the submission is stored, or after a day by
  ``yakusho apply-retention``.
- ``private/submissions/<municipality id>/<yyyy>/<random>``: files of stored submissions, read
  only through the permission-checked staff view or the applicant's status page.

Stored names are random and carry no part of what the resident typed.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

TEMP_MAX_AGE_SECONDS = 24 * 60 * 60


def private_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "private"


def temp_dir() -> Path:
    path = private_root() / "tmp"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _safe_token(name: str) -> str:
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError("bad temporary file name")
    return name


def temp_path(name: str) -> Path:
    return temp_dir() / _safe_token(name)


def save_temp_upload(upload: Any) -> str:
    """Write an upload to the temporary area; returns its token."""
    name = secrets.token_urlsafe(18)
    path = temp_dir() / name
    upload.seek(0)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    upload.seek(0)
    path.chmod(0o600)
    return name


def remove_temp(names: Iterable[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError, ValueError):
            temp_path(name).unlink(missing_ok=True)


def store_temp(municipality: Any, temp_name: str) -> tuple[str, Path]:
    """Copy a temporary upload into the submission area; returns (relative path, absolute path).

    Copied rather than moved: a repeated request that finds the submission already stored must
    not lose the draft's file before its own transaction is decided.
    """
    source = temp_path(temp_name)
    relative = f"submissions/{municipality.pk}/{timezone.now():%Y}/{secrets.token_urlsafe(18)}"
    target = private_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(source, target)
    target.chmod(0o600)
    return relative, target


def absolute_path(relative: str) -> Path:
    root = private_root().resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("path outside the private folder")
    return path


def remove_paths(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def remove_relative(relatives: Iterable[str]) -> None:
    for relative in relatives:
        with contextlib.suppress(OSError, ValueError):
            absolute_path(relative).unlink(missing_ok=True)


def purge_old_temp(max_age: int = TEMP_MAX_AGE_SECONDS) -> int:
    """Remove draft uploads older than ``max_age`` seconds (abandoned forms)."""
    cutoff = time.time() - max_age
    count = 0
    for path in temp_dir().iterdir():
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                count += 1
    return count
