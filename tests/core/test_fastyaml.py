"""The fast YAML reader gives exactly what yaml.safe_load gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from yakusho.core.fastyaml import load

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
