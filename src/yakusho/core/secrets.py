"""Where the secret key comes from: the environment, or a file kept under ``var/`` for the demo."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_secret_key(var_dir: Path) -> str:
    """Return ``YAKUSHO_SECRET_KEY``, or the demo key in ``var/secret_key`` (created on first use)."""
    key = os.environ.get("YAKUSHO_SECRET_KEY")
    if key:
        return key
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key
