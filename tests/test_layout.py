"""The layout rules that import-linter cannot find by itself: its lists of modules stay complete."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def _contract(contract_id: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == contract_id)


def _module(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_views_and_forms_module_is_forbidden_to_models() -> None:
    """A new ``views.py``, ``*_views.py``, ``forms.py`` or ``views/`` package must be named in
    the contract, or models could import it unnoticed."""
    contract = _contract("models-below-views")
    named = set(contract["forbidden_modules"])
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = path.stem if path.stem != "__init__" else path.parent.name
        if name in ("views", "forms") or name.endswith("_views"):
            found.add(_module(path))
    assert found, "no views found: the walk is wrong"
    assert sorted(found - named) == []


def test_every_models_module_is_a_source_of_that_contract() -> None:
    contract = _contract("models-below-views")
    sources = set(contract["source_modules"])
    found = {
        _module(path)
        for path in SRC.rglob("*.py")
        if (path.stem == "models" or (path.stem == "__init__" and path.parent.name == "models"))
        and "migrations" not in path.parts
    }
    assert found
    assert sorted(m for m in found if not any(m == s or m.startswith(s + ".") for s in sources)) == []
