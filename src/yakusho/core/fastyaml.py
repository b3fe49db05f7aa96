"""A fast YAML reader for data files (large plan files above all): builds Python data straight
from libyaml's events.

PyYAML composes a node (with marks) for every scalar and runs its implicit-type regexes on each
one; for a 4.5 MB plan that is most of the import time. Here plain scalars that cannot be
anything but text (most of a Japanese plan) skip the resolver, and the rest go through PyYAML's
own resolver and constructor, so the result is the same as ``yaml.safe_load``. Documents that use
anchors, aliases, merge keys or explicit tags fall back to composing nodes and constructing them
with PyYAML (a test compares both on every plan).

Unlike ``yaml.safe_load``, a mapping may not have the same key twice (there the last one silently
wins): both paths refuse it with :class:`DuplicateKeys`, which lists every repeated key with its
lines. The fast path only notices the repetition; the lines are found by composing the document
again, which happens only for such a refused file.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# First characters of every implicit non-string plain scalar in YAML 1.1 (bool, null, int, float,
# timestamp, merge, value).
_MAYBE_TYPED = set("0123456789+-.~<=yYnNtTfFoO")
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# what PyYAML's constructors raise for a scalar they cannot read (2024-02-30, !!int abc)
_BAD_VALUE = (ValueError, TypeError, KeyError, AttributeError, OverflowError)


class Duplicate(NamedTuple):
    """A key written more than once in one mapping: the key's path, the key, and its lines."""

    path: tuple[str | int, ...]
    key: Any
    lines: tuple[int, ...]


class DuplicateKeys(yaml.YAMLError):
    """The document has a mapping with the same key twice (every such key, in line order)."""

    def __init__(self, duplicates: list[Duplicate]) -> None:
        super().__init__(
            "; ".join(f"duplicate key {d.key!r} (lines {', '.join(map(str, d.lines))})" for d in duplicates)
        )
        self.duplicates = duplicates


class _Fallback(Exception):
    pass


class _Repeated(Exception):
    pass


def load(text: str) -> Any:
    """``yaml.safe_load(text)``, faster; :class:`DuplicateKeys` for a repeated key."""
    try:
        return _load_events(text)
    except _Fallback:
        return _load_nodes(text)
    except _Repeated:
        raise DuplicateKeys(duplicate_keys(text)) from None


def duplicate_keys(text: str) -> list[Duplicate]:
    """Every key written twice in one mapping of ``text`` (YAML, or JSON read as YAML), in line
    order; a ``yaml.YAMLError`` if the text is not YAML."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return [] if node is None else _duplicates(loader, node)
    finally:
        loader.dispose()


def _load_events(text: str) -> Any:
    loader = _Loader(text)
    try:
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # document start
        value = _value(loader, loader.get_event())
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            raise _Fallback  # several documents: let PyYAML report it
        return value
    finally:
        loader.dispose()


def _load_nodes(text: str) -> Any:
    """The fallback: PyYAML's own ``get_single_data``, with repeated keys refused."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        found = _duplicates(loader, node)
        if found:
            raise DuplicateKeys(found)
        try:
            return loader.construct_document(node)
        except _BAD_VALUE as exc:  # !!int abc, or a date that does not exist
            raise _first_unreadable(node) or _unreadable(None, None, exc, None) from None
    finally:
        loader.dispose()


def _first_unreadable(root: Node) -> yaml.YAMLError | None:
    """The first scalar below ``root`` that its constructor cannot read, at its place."""
    probe = _Loader("")
    try:
        visited: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            if isinstance(node, ScalarNode):
                try:
                    probe.construct_object(node, deep=True)
                except _BAD_VALUE as exc:
                    return _unreadable(node.tag, node.value, exc, node.start_mark)
                except yaml.YAMLError:  # a merge key, read with its mapping
                    continue
            elif isinstance(node, SequenceNode):
                stack.extend(reversed(node.value))
            elif isinstance(node, MappingNode):
                stack.extend(child for pair in reversed(node.value) for child in reversed(pair))
        return None
    finally:
        probe.dispose()


def _unreadable(tag: str | None, value: str | None, exc: Exception, mark: Any) -> yaml.YAMLError:
    """A scalar that its tag's constructor cannot read (PyYAML raises ``ValueError`` and the like,
    not a ``YAMLError``): a ``YAMLError`` at its place, for the reader to report like a syntax error."""
    if tag is None:
        return yaml.constructor.ConstructorError(None, None, f"cannot read a value ({exc})", mark)
    name = tag.rsplit(":", 1)[-1]
    kind = {"timestamp": "date"}.get(name, name)
    return yaml.constructor.ConstructorError(None, None, f"cannot read {value!r} as {kind} ({exc})", mark)


def _value(loader: Any, event: Any) -> Any:
    if isinstance(event, ScalarEvent):
        if event.anchor is not None or (event.tag not in (None, "!")):
            raise _Fallback
        value = event.value
        if event.style:  # quoted or block scalars are text
            return value
        if not value:
            return None
        if value[0] not in _MAYBE_TYPED:
            return value
        tag = loader.resolve(ScalarNode, value, event.implicit)
        if tag == _STR:
            return value
        if tag == _MERGE:
            raise _Fallback
        try:
            return loader.construct_object(ScalarNode(tag, value), deep=True)
        except _BAD_VALUE as exc:  # 2024-02-30
            raise _unreadable(tag, value, exc, event.start_mark) from None
    if isinstance(event, SequenceStartEvent):
        if event.anchor is not None or event.tag not in (None, "!"):
            raise _Fallback
        items = []
        while not loader.check_event(SequenceEndEvent):
            items.append(_value(loader, loader.get_event()))
        loader.get_event()
        return items
    if isinstance(event, MappingStartEvent):
        if event.anchor is not None or event.tag not in (None, "!"):
            raise _Fallback
        mapping: dict[Any, Any] = {}
        while not loader.check_event(MappingEndEvent):
            key = _value(loader, loader.get_event())
            if isinstance(key, (list, dict)):
                raise _Fallback
            if key in mapping:
                raise _Repeated
            mapping[key] = _value(loader, loader.get_event())
        loader.get_event()
        return mapping
    if isinstance(event, AliasEvent):
        raise _Fallback
    raise _Fallback


def _duplicates(loader: Any, root: Node) -> list[Duplicate]:
    """The repeated keys below ``root``: keys are compared as constructed (``1`` and ``1.0`` are
    the same key, as they are in the data); merge keys (``<<``) and keys that are collections are
    left to PyYAML. Each node is visited once, whatever aliases it has."""
    found: list[Duplicate] = []
    visited: set[int] = set()
    stack: list[tuple[tuple[str | int, ...], Node]] = [((), root)]
    while stack:  # depth first, in document order: an aliased node is reported at its anchor
        path, node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(((*path, index), item) for index, item in reversed(list(enumerate(node.value))))
        elif isinstance(node, MappingNode):
            lines: dict[Any, list[int]] = {}
            children: list[tuple[tuple[str | int, ...], Node]] = []
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE:
                    key = loader.construct_object(key_node)
                    lines.setdefault(key, []).append(key_node.start_mark.line + 1)
                    children.append(((*path, _part(key)), value_node))
                else:
                    children.append((path, value_node))
            stack.extend(reversed(children))
            found.extend(
                Duplicate((*path, _part(key)), key, tuple(where))
                for key, where in lines.items()
                if len(where) > 1
            )
    return sorted(found, key=lambda d: d.lines[1:])


def _part(key: Any) -> str:
    return key if isinstance(key, str) else str(key)
