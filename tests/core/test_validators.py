import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from yakusho.core.validators import municipality_check_digit, normalize_text, validate_municipality_code

# Published codes: 千代田区, and the five municipalities of the source plans.
REAL_CODES = ["131016", "052116", "082236", "152129", "063240", "054348"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_validate(code: str) -> None:
    validate_municipality_code(code)


def test_full_width_digits_are_normalised() -> None:
    validate_municipality_code("０５２１１６")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("052117", "検査数字"),
        ("05211", "6桁"),
        ("0521160", "6桁"),
        ("05211a", "6桁"),
        ("", "6桁"),
    ],
)
def test_bad_codes_get_a_japanese_message(code: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_municipality_code(code)
    assert message in info.value.messages[0]


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_exactly_one_check_digit_is_accepted(first: str) -> None:
    accepted = []
    for digit in "0123456789":
        try:
            validate_municipality_code(first + digit)
            accepted.append(digit)
        except ValidationError:
            pass
    assert accepted == [str(municipality_check_digit(first))]


def test_normalize_text_nfkc() -> None:
    assert normalize_text(" ＡＢＣ１２３ ｶﾀｶﾅ ") == "ABC123 カタカナ"
