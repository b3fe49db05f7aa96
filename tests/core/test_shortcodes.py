import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import DepartmentFactory, MunicipalityFactory
from yakusho.core import shortcodes
from yakusho.core.models import Department


def test_alphabet_has_no_confusable_characters() -> None:
    for c in "I1LO0QDZ2S5B8UVG":
        assert c not in shortcodes.ALPHABET


@given(st.randoms(use_true_random=False))
def test_generated_codes_are_valid_and_readable(_r) -> None:
    code = shortcodes.generate()
    assert len(code) == shortcodes.LENGTH
    assert shortcodes.normalize(code) == code
    formatted = shortcodes.format_code(code)
    assert formatted[4] == "-"
    assert shortcodes.normalize(formatted.lower()) == code


@given(st.data())
def test_one_wrong_character_is_caught(data) -> None:
    code = shortcodes.generate()
    i = data.draw(st.integers(0, len(code) - 1))
    c = data.draw(st.sampled_from([a for a in shortcodes.ALPHABET if a != code[i]]))
    assert shortcodes.normalize(code[:i] + c + code[i + 1 :]) is None


def test_full_width_and_spaces_are_accepted() -> None:
    code = shortcodes.generate()
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    assert shortcodes.normalize(f" {wide[:4]} ー {wide[4:]} ") == code


@pytest.mark.django_db
def test_unique_per_municipality(monkeypatch) -> None:
    town = MunicipalityFactory()
    taken = shortcodes.generate()
    DepartmentFactory(municipality=town, name=taken)
    fresh = shortcodes.generate()
    sequence = iter([taken, fresh])
    monkeypatch.setattr(shortcodes, "generate", lambda: next(sequence))
    assert shortcodes.unique_code(Department, town, field="name") == fresh
    # The same code is free in another municipality.
    sequence = iter([taken])
    assert shortcodes.unique_code(Department, MunicipalityFactory(), field="name") == taken


def test_fresh_skips_the_codes_already_taken(monkeypatch) -> None:
    taken, other = shortcodes.generate(), shortcodes.generate()
    sequence = iter([taken, taken, other])
    monkeypatch.setattr(shortcodes, "generate", lambda: next(sequence))
    used = {taken}
    assert shortcodes.fresh(used) == other
    assert used == {taken, other}
