"""The normalisers' shortcuts for the common shapes give what their general paths give."""

from __future__ import annotations

import random

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.lib.selectors.identity import _US_VALID, _nanp_valid


def us_valid(digits: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
    return phonenumbers.is_valid_number_for_region(number, "US")


def test_the_us_pattern_is_built():
    assert _US_VALID is not None  # else every +1 number takes phonenumbers' slow path


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(r"[2-9][0-9]{9}", fullmatch=True))
def test_the_us_pattern_is_is_valid_number_for_region(digits):
    assert _US_VALID is not None
    assert bool(_US_VALID.fullmatch(digits)) == us_valid(digits)


def test_every_area_code_and_exchange_kind_validates_as_for_the_us():
    """Every area code with exchanges valid and not (N11, 555, 0xx/1xx, 958/959, random)."""
    assert _US_VALID is not None
    rng = random.Random(16)
    for area in range(200, 1000):
        for exchange in ("211", "555", "100", "099", "958", "959", f"{rng.randrange(1000):03d}"):
            for line in ("0100", "0199", "1212", f"{rng.randrange(10000):04d}"):
                digits = f"{area}{exchange}{line}"
                assert bool(_US_VALID.fullmatch(digits)) == us_valid(digits), digits


@settings(max_examples=2000, deadline=None)
@given(st.from_regex(r"[2-9][0-9]{9}", fullmatch=True))
def test_nanp_valid_is_is_valid_number(digits):
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
    assert _nanp_valid(digits) == phonenumbers.is_valid_number(number)
