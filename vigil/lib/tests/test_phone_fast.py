"""The plain North American phone shortcut gives exactly what phonenumbers' parser gives."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.lib.selectors.identity import _NANP_RE, _normalise_phone

REGIONS = [None, "", "US", "us", "CA", "GB", "DE", "IN", "AG", "PR", "FR"]


def slow(raw: str, region: str | None) -> str | None:
    """The normaliser before the shortcut (parse, is_valid_number, E.164)."""
    text = raw.strip()
    if not text or len(text) > 100:
        return None
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except Exception:  # noqa: BLE001 - as the normaliser
        return None


@settings(max_examples=1500, deadline=None)
@given(st.from_regex(_NANP_RE, fullmatch=True), st.sampled_from(REGIONS))
def test_every_shape_the_shortcut_takes_normalises_as_before(raw, region):
    assert _normalise_phone(raw, region) == slow(raw, region)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="+1234567890 ().-x", max_size=22), st.sampled_from(REGIONS))
def test_near_misses_normalise_as_before(raw, region):
    assert _normalise_phone(raw, region) == slow(raw, region)


FORMS = [
    "+1 {a} {e} {n}",
    "+1{a}{e}{n}",
    "+1-{a}-{e}-{n}",
    "+1.{a}.{e}.{n}",
    "+1 ({a}) {e}-{n}",
    "({a}) {e}-{n}",
    "({a}){e}{n}",
    "{a}-{e}-{n}",
    "{a}.{e}.{n}",
    "{a}{e}{n}",
    " +1 {a} {e} {n} ",
]


@pytest.mark.parametrize("form", FORMS)
def test_every_area_code_normalises_as_before(form):
    """Each of the 800 area codes, valid and invalid ones, with random exchanges."""
    rng = random.Random(form)
    for area in range(200, 1000):
        exchange = rng.choice(["555", "212", "100", "911", f"{rng.randrange(1000):03d}"])
        raw = form.format(a=area, e=exchange, n=f"{rng.randrange(10000):04d}")
        for region in (None, "US", "CA", "GB"):
            assert _normalise_phone(raw, region) == slow(raw, region), (raw, region)
