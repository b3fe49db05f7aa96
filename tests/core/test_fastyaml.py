"""The fast YAML reader gives exactly what yaml.safe_load gives — except that a key written twice
in one mapping is refused, on the fast path and on PyYAML's alike."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from yakusho.core.fastyaml import Duplicate, DuplicateKeys, duplicate_keys, load

PLANS = sorted((Path(__file__).resolve().parents[2] / "data" / "plans").glob("*.yaml"))


@pytest.mark.parametrize("path", PLANS, ids=[p.name for p in PLANS])
def test_same_as_pyyaml_on_every_plan(path: Path) -> None:
    text = path.read_text("utf-8")
    assert load(text) == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: ''\nb:\nc: ~\nd: null\ne: yes\nf: 'yes'\ng: 2024-01-01\nh: 1_000\ni: .5\nj: -3\nk: o\nl: on\n",
        "",
        "- &a 1\n- *a\n",
        "!!str 12",
        "? [a, b]\n: c\n",
        "x: |\n  line one\n  line two\n",
        "令和: 8年度\n2026: R8\n",
        "<<: {a: 1}\nb: 2\n",
        "base: &b {a: 1, c: 3}\nx:\n  <<: *b\n  a: 2\n",
        "x: {<<: [{a: 1}, {a: 2}], b: 3}\n",
    ],
)
def test_edge_cases(text: str) -> None:
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            load(text)
        return
    assert load(text) == expected


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.text(max_size=12),
    st.dates(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(documents)
def test_round_trips_like_pyyaml(doc: object) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True)
    assert load(text) == yaml.safe_load(text)


def refused(text: str) -> list[Duplicate]:
    with pytest.raises(DuplicateKeys) as caught:
        load(text)
    return caught.value.duplicates


def test_a_repeated_key_is_refused_on_the_fast_path() -> None:
    assert refused("a: 1\nb:\n  c: 2\n  c: 3\na: 4\n") == [
        Duplicate(("b", "c"), "c", (3, 4)),
        Duplicate(("a",), "a", (1, 5)),
    ]


def test_keys_are_compared_as_the_data_has_them() -> None:
    assert refused("1: a\n1.0: b\n") == [Duplicate(("1",), 1, (1, 2))]
    assert refused("yes: a\ntrue: b\n")[0].lines == (1, 2)
    assert load("'1': a\n1: b\n") == {"1": "a", 1: "b"}


def test_a_repeated_key_is_refused_where_pyyaml_reads_anchors() -> None:
    text = "base: &b\n  a: 1\nlist:\n- *b\n- {x: 1, x: 2}\n"
    assert refused(text) == [Duplicate(("list", 1, "x"), "x", (5, 5))]
    # an aliased mapping's repeated key is reported once, at the anchor
    assert refused("base: &b {a: 1, a: 2}\nc: *b\nd: *b\n") == [Duplicate(("base", "a"), "a", (1, 1))]


def test_merged_keys_are_not_repeated_keys() -> None:
    text = "base: &b {a: 1}\nx:\n  <<: *b\n  a: 2\n  <<: {c: 3}\n"
    assert load(text) == yaml.safe_load(text)
    assert duplicate_keys(text) == []


def test_repeated_keys_are_found_in_json_as_yaml() -> None:
    assert duplicate_keys('{\n  "a": [{"k": 1,\n   "k": 2}]\n}') == [Duplicate(("a", 0, "k"), "k", (2, 3))]
    assert duplicate_keys("") == []


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("a: 1\nb: 2024-02-30\n", 2, "cannot read '2024-02-30' as date (day is out of range for month)"),
        ("x: &x 1\nb: !!int abc\n", 2, "cannot read 'abc' as int"),
        ("x: &x {k: 1}\ny:\n  <<: *x\n  d: 2024-13-01\n", 4, "cannot read '2024-13-01' as date"),
    ],
)
def test_a_value_its_type_cannot_read_is_a_yaml_error_at_its_place(
    text: str, line: int, problem: str
) -> None:
    # yaml.safe_load raises ValueError (a server error for a reader that expects YAMLError)
    with pytest.raises(ValueError, match=r"out of range|invalid literal|must be in"):
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as caught:
        load(text)
    assert caught.value.problem_mark.line + 1 == line  # type: ignore[attr-defined]
    assert caught.value.problem.startswith(problem)  # type: ignore[attr-defined]
