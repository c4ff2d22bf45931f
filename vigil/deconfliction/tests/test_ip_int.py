"""The warning list reads an IP as an integer: inet_pton's fast path answers as `ipaddress` does."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from vigil.deconfliction.actions.reference import _ip_int


def _by_ipaddress(value: str) -> tuple[int | None, int]:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return None, 0
    return addr.version, int(addr)


@given(st.text(alphabet="0123456789.: abcdef\u0661x", max_size=20))
def test_it_reads_any_text_as_ipaddress_does(value):
    assert _ip_int(value) == _by_ipaddress(value)


@given(st.lists(st.integers(0, 300), min_size=3, max_size=5), st.booleans())
def test_it_reads_dotted_numbers_as_ipaddress_does(octets, pad):
    value = ".".join(f"0{o}" if pad and o < 100 else str(o) for o in octets)
    assert _ip_int(value) == _by_ipaddress(value)


def test_known_answers():
    assert _ip_int("10.1.2.3") == (4, 0x0A010203)
    assert _ip_int("0.0.0.0") == (4, 0)
    assert _ip_int("255.255.255.255") == (4, 2**32 - 1)
    assert _ip_int("010.1.2.3") == (None, 0)
    assert _ip_int("2001:db8::1") == (6, int(ipaddress.ip_address("2001:db8::1")))
    assert _ip_int("::ffff:10.1.2.3")[0] == 6
    assert _ip_int("") == (None, 0)
