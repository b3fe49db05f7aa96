"""A fast YAML reader for data files (large plan files above all): builds Python data straight
from libyaml's events.

PyYAML composes a node (with marks) for every scalar and runs its implicit-type regexes on each
one; for a 4.5 MB plan that is most of the import time. Here plain scalars that cannot be
anything but text (most of a Japanese plan) skip the resolver, and the rest go through PyYAML's
own resolver and constructor, so the result is the same as ``yaml.safe_load``. Documents that use
anchors, aliases or explicit tags fall back to ``yaml.load`` (a test compares both on every plan).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# First characters of every implicit non-string plain scalar in YAML 1.1 (bool, null, int, float,
# timestamp, merge, value).
_MAYBE_TYPED = set("0123456789+-.~<=yYnNtTfFoO")
_STR = "tag:yaml.org,2002:str"


class _Fallback(Exception):
    pass


def load(text: str) -> Any:
    try:
        return _load_events(text)
    except _Fallback:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


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
        return loader.construct_object(ScalarNode(tag, value), deep=True)
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
            mapping[key] = _value(loader, loader.get_event())
        loader.get_event()
        return mapping
    if isinstance(event, AliasEvent):
        raise _Fallback
    raise _Fallback
