"""The shared registry (core.registry) behind metrics, card readers and the UI registries."""

from __future__ import annotations

import pytest

from yakusho.core.registry import AlreadyRegistered, NotRegistered, Registry
from yakusho.core.ui import consortium_sections, panels, public_links
from yakusho.metrics.registry import registry as metrics
from yakusho.procedures.counter.readers.registry import registry as readers


def test_add_get_order_and_errors() -> None:
    reg = Registry[int]("number", key_pattern=r"^[a-z]+$", sort_key=lambda key, value: -value)
    reg.add("one", 1)
    reg.add("three", 3)
    assert reg.get("one") == 1 and "three" in reg and len(reg) == 2
    assert reg.all() == [3, 1]
    with pytest.raises(AlreadyRegistered, match="number 'one' is already registered"):
        reg.add("one", 9)
    with pytest.raises(ValueError, match="number key 'Two'"):
        reg.add("Two", 2)
    with pytest.raises(NotRegistered):
        reg.get("two")


def test_isolated_and_keep_restore_the_entries() -> None:
    reg = Registry[str]("word")
    reg.add("a", "A")
    with reg.isolated() as inner:
        assert inner is reg and reg.all() == []
        reg.add("b", "B")
    assert reg.all() == ["A"]
    with reg.isolated(keep=True):
        reg.add("c", "C")
        assert reg.all() == ["A", "C"]
    assert reg.all() == ["A"]


def test_every_registry_of_the_project_is_one() -> None:
    for registry in (metrics, readers, panels, public_links, consortium_sections):
        assert isinstance(registry, Registry)
        assert len(registry) > 0, registry.kind


def test_autodiscover_imports_the_named_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    imported: list[str] = []
    monkeypatch.setattr("yakusho.core.registry.import_module", imported.append)
    monkeypatch.setattr("yakusho.core.registry.autodiscover_modules", imported.append)
    Registry[int]("x", module="things").autodiscover("a.b")
    assert imported == ["a.b", "things"]
