"""The normalisers' shortcuts for the common shapes give what their general paths give."""

from __future__ import annotations

import ipaddress
import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.lib.selectors import IPObservation, network, normalise, parse_ip_observation
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


# --- IPv4 and e-mail: the normalisers as they were before their shortcuts ---------------


def slow_ipv4(text: str) -> str | None:
    m = network._IPV4_RE.fullmatch(text)
    if not m:
        return None
    octets = [int(g) for g in m.groups()]
    if any(o > 255 for o in octets):
        return None
    return ".".join(map(str, octets))


def slow_ip(text: str) -> str | None:
    v4 = slow_ipv4(text)
    if v4 is not None:
        return v4
    if ":" not in text or not text.isascii():
        return None
    text = text.split("%", 1)[0]
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    if addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return addr.compressed


def slow_normalise_ip(raw: str) -> str | None:
    text = network._refang_fully(raw.strip()).strip()
    m = network._BRACKETED_RE.fullmatch(text) or network._IPV4_PORT_RE.fullmatch(text)
    if m:
        text = m.group(1)
    return slow_ip(text)


def slow_parse_ip_observation(text: str) -> IPObservation | None:
    m = network._OBSERVATION_RE.fullmatch(network._refang_fully(text.strip()))
    if not m:
        return None
    addr, ts = m.group("addr"), m.group("ts").strip()
    port_raw: str | None = None
    bracketed = network._BRACKETED_RE.fullmatch(addr)
    with_port = network._IPV4_PORT_RE.fullmatch(addr)
    if bracketed:
        addr, port_raw = bracketed.group(1), bracketed.group(2)
    elif with_port:
        addr, port_raw = with_port.group(1), with_port.group(2)
    ip = slow_ip(addr)
    if ip is None:
        return None
    port: int | None = None
    if port_raw is not None:
        port = int(port_raw)
        if port > 65535:
            return None
    seen_at = None
    if ts:
        seen_at = network._parse_timestamp(ts)
        if seen_at is None:
            return None
    return IPObservation(ip, port, seen_at)


def slow_normalise_email(raw: str) -> str | None:
    text = network._refang_fully(raw.strip()).strip().strip("<>\"'").strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0].strip()
    text = text.lower()
    if text.count("@") != 1:
        return None
    local, domain_raw = text.split("@")
    if not network._LOCAL_RE.fullmatch(local):
        return None
    domain = network._email_domain(domain_raw)
    if domain is None:
        return None
    if domain in network._GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.split("+", 1)[0].replace(".", "")
        if not local:
            return None
    return f"{local}@{domain}"


OCTETS = [
    "0",
    "1",
    "9",
    "10",
    "01",
    "00",
    "000",
    "010",
    "99",
    "100",
    "199",
    "200",
    "249",
    "250",
    "255",
    "256",
    "260",
    "299",
    "300",
    "999",
    "1000",
    "0255",
]
ip_like = st.one_of(
    st.lists(st.sampled_from(OCTETS), min_size=1, max_size=5).map(".".join),
    st.from_regex(network._CANONICAL_IPV4_RE, fullmatch=True),
    st.text(alphabet="0123456789.:", max_size=18),
)
ip_texts = st.one_of(
    ip_like,
    st.tuples(
        st.sampled_from(["", " ", "\t", "[", "("]),
        ip_like,
        st.sampled_from(["", " ", ":8080", ":99999", "[.]", "(.)", "|", ",", ";", "\n", "]"]),
        st.sampled_from(["", "2024-03-01T10:22:00Z", "03/01/2024 10:22", "garbage", " UTC"]),
    ).map("".join),
    st.text(alphabet="0123456789.:|,; []()xX\tfe%", max_size=24),
)


@settings(max_examples=3000, deadline=None)
@given(ip_texts)
def test_ipv4_shortcuts_give_the_general_paths_answers(text):
    assert network._ipv4(text) == slow_ipv4(text)
    assert network._normalise_ip(text) == slow_normalise_ip(text)
    assert parse_ip_observation(text) == slow_parse_ip_observation(text)
    assert normalise("ip", text) == slow_normalise_ip(text)


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "10.1.2.3|2024-03-01T10:22:00Z",
        "010.1.2.3",
        "10.1.2.256",
        "10.1.2",
        "10.1.2.3.4",
        " 10.1.2.3",
        "10.1.2.3 ",
        "10.1.2.3:80",
        "10.1.2[.]3",
        "１.２.３.４",
        "10.1.2.3\n",
        "::ffff:10.1.2.3",
        "1.2.3.04",
    ],
)
def test_ipv4_table(text):
    assert network._ipv4(text) == slow_ipv4(text)
    assert network._normalise_ip(text) == slow_normalise_ip(text)
    assert parse_ip_observation(text) == slow_parse_ip_observation(text)


LOCALS = [
    "user1",
    "User.Name",
    "a",
    "a+tag",
    "j.o.h.n",
    "+tag",
    ".",
    "x" * 64,
    "x" * 65,
    "o'brien",
    "a%b",
    "a_b-c",
    "ünï",
    "A!B",
    "a b",
    "",
]
DOMAINS = [
    "example.com",
    "EXAMPLE.COM",
    "gmail.com",
    "GoogleMail.com",
    "b",
    "a..b",
    "x.123",
    "bücher.de",
    "ex_ample.com",
    "-a.com",
    "10.0.0.1",
    "example[.]com",
    "exa mple.com",
    "",
]
email_texts = st.one_of(
    st.tuples(
        st.sampled_from(LOCALS),
        st.sampled_from(["@", "@@", "[@]", " (at) ", ""]),
        st.sampled_from(DOMAINS),
    ).map("".join),
    st.tuples(
        st.sampled_from(["", " ", "<", "'", '"', "mailto:", "MAILTO:"]),
        st.sampled_from(LOCALS),
        st.just("@"),
        st.sampled_from(DOMAINS),
        st.sampled_from(["", " ", ">", "'", "?subject=x", "\n"]),
    ).map("".join),
    st.text(alphabet="aZ09._%+-@:<>\"'[]() \txX!", max_size=24),
)


@settings(max_examples=3000, deadline=None)
@given(email_texts)
def test_the_plain_email_shortcut_gives_the_general_paths_answer(text):
    assert network._normalise_email(text) == slow_normalise_email(text)
    assert normalise("email", text) == slow_normalise_email(text)


@pytest.mark.parametrize(
    "text",
    [
        "user1@example.com",
        "User.Name+tag@GoogleMail.com",
        "+tag@gmail.com",
        ".@gmail.com",
        "a@b",
        "a@@b.com",
        "@example.com",
        "a@",
        "<a@example.com>",
        "'a@example.com'",
        "mailto:a@example.com",
        "a@example[.]com",
        "a (at) example.com",
        "x" * 65 + "@example.com",
        "x" * 64 + "@example.com",
        "a@ex_ample.com",
        "a@bücher.de",
        "a@10.0.0.1",
        " a@example.com",
    ],
)
def test_email_table(text):
    assert network._normalise_email(text) == slow_normalise_email(text)
