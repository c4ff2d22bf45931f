from __future__ import annotations

import random
import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import domains, urls

from vigil.lib import selectors
from vigil.lib.selectors import _PLATFORM_ALIASES as PLATFORM_ALIASES
from vigil.lib.selectors import (
    Extracted,
    SelectorType,
    extract,
    fold_platform,
    normalise,
    parse_ip_observation,
    refang,
    registered_domain,
)

ALL_TYPES = [t.value for t in SelectorType]


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        ("email", " John.Doe+tag@GoogleMail.com ", "johndoe@gmail.com"),
        ("email", "j.o.h.n@gmail.com", "john@gmail.com"),
        ("email", "John.Doe+tag@example.com", "john.doe+tag@example.com"),
        ("email", "mailto:Foo@Example.COM", "foo@example.com"),
        ("email", "foo[@]example[.]com", "foo@example.com"),
        ("email", "foo (at) example (dot) com", "foo@example.com"),
        ("email", "<foo@bücher.de>", "foo@xn--bcher-kva.de"),
        ("email", "a@b", None),
        ("email", "a@@b.com", None),
        ("email", "@example.com", None),
        ("email", "+tag@gmail.com", None),
        ("ip", "010.001.002.003", "10.1.2.3"),
        ("ip", "203.0.113[.]5", "203.0.113.5"),
        ("ip", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("ip", "::ffff:192.0.2.1", "192.0.2.1"),
        ("ip", "[2001:db8::1]:443", "2001:db8::1"),
        ("ip", "203.0.113.5:8080", "203.0.113.5"),
        ("ip", "fe80::1%eth0", "fe80::1"),
        ("ip", "256.1.1.1", None),
        ("ip", "1.2.3", None),
        ("ip", "0001.1.1.1", None),
        ("ip", "１.２.３.４", None),  # full-width digits are not an address
        ("url", "hxxps://www.Example.COM:443/a/b/?q=1#frag", "https://example.com/a/b?q=1"),
        ("url", "HTTP://Example.com/", "http://example.com"),
        ("url", "http://example.com:80/A/", "http://example.com/A"),
        ("url", "https://example.com:8443", "https://example.com:8443"),
        ("url", "example[.]com/path/", "http://example.com/path"),
        ("url", "hxxp[:]//evil[.]example/x?a=B&c=D", "http://evil.example/x?a=B&c=D"),
        ("url", "http://bücher.de/", "http://xn--bcher-kva.de"),
        ("url", "http://010.0.0.1:80/", "http://10.0.0.1"),
        ("url", "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("url", "http://user@www.example.com/", "http://user@example.com"),
        ("url", "www.www.example.com", "http://example.com"),
        ("url", "mailto:x@y.com", None),
        ("url", "javascript:alert(1)", None),
        ("url", "hello", None),
        ("url", "http://exa mple.com", None),
        ("url", "http://example.com:99999/", None),
        ("domain", "WWW.Example.co.uk.", "example.co.uk"),
        ("domain", "http://Sub.Example.com/x", "sub.example.com"),
        ("domain", "münchen.de", "xn--mnchen-3ya.de"),
        ("domain", "1.2.3.4", None),
        ("domain", "localhost", None),
        ("online_id", "@Foo_Bar", "unknown:foo_bar"),
        ("online_id", "Twitter:@Foo", "x:foo"),
        ("online_id", "FB:someone", "facebook:someone"),
        ("online_id", "https://www.instagram.com/some.user/", "instagram:some.user"),
        ("online_id", "https://example.com/user/x", None),
        ("online_id", "@", None),
        ("phone", "(202) 555-0143", "+12025550143"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("phone", "tel:+1-202-456-1111", "+12024561111"),
        ("phone", "123", None),
        ("person", "SMITH, John Q.", "john smith"),
        ("person", "Dr.", None),
        ("address", "123 North Main Street, Apartment 4B", "123 n main st apt 4b"),
        ("address", "P.O. Box 12", "po box 12"),
        ("address", "1600 Pennsylvania Avenue NW", "1600 pennsylvania ave nw"),
        ("vehicle", "ca: 7abc-123", "CA:7ABC123"),
        ("vehicle", "abc 123", "ABC123"),
        ("vehicle", "TX:", None),
        ("ssn", "123-45-6789", "123456789"),
        ("ssn", "123 45 6789", "123456789"),
        ("ssn", "000-45-6789", None),
        ("ssn", "666-45-6789", None),
        ("ssn", "900-45-6789", None),
        ("ssn", "123-00-6789", None),
        ("ssn", "123-45-0000", None),
        ("ssn", "12345678", None),
        ("card", "4111 1111 1111 1111", "4111111111111111"),
        ("card", "4111-1111-1111-1112", None),
        ("card", "378282246310005", "378282246310005"),
        ("card", "4111", None),
        ("attribute", "  blue \t eyes ", "blue eyes"),
        ("attribute", "   ", None),
        ("nonsense", "x", None),
    ],
)
def test_it_normalises(type_: str, raw: str, expected: str | None) -> None:
    assert normalise(type_, raw, default_region="US") == expected


def test_it_reads_national_phone_numbers_with_the_default_region() -> None:
    assert normalise("phone", "020 7946 0958", default_region="GB") == "+442079460958"
    assert normalise("phone", "020 7946 0958") is None
    assert normalise("phone", "(202) 555-0143", default_region="xx") is None


def test_it_takes_the_platform_as_a_keyword() -> None:
    assert normalise("online_id", "@Foo", platform="Instagram") == "instagram:foo"
    assert normalise("online_id", "foo", platform="IG") == "instagram:foo"
    assert normalise("online_id", "instagram:foo", platform="instagram") == "instagram:foo"
    assert normalise("online_id", "foo", platform="x") != normalise(
        "online_id", "foo", platform="tiktok"
    )


def test_it_folds_platform_aliases_onto_fixed_points() -> None:
    assert fold_platform("Twitter") == "x"
    assert fold_platform("Kik Messenger") == "kik"
    assert fold_platform(None) == "unknown"
    for target in PLATFORM_ALIASES.values():
        assert fold_platform(target) == target


def test_it_refangs() -> None:
    assert refang("hxxps://evil[.]example(.)com[/]") == "https://evil.example.com[/]"
    assert refang("name [at] example [dot] com") == "name@example.com"
    assert refang("hxxp[:]//a{.}b") == "http://a.b"
    assert refang("nothing to do") == "nothing to do"
    assert refang("shxxp://x") == "shxxp://x"


def test_it_finds_the_registered_domain_offline() -> None:
    assert registered_domain("forums.news.example.co.uk") == "example.co.uk"
    assert registered_domain("https://www.Example.com/path") == "example.com"
    assert registered_domain("1.2.3.4") is None
    assert registered_domain("co.uk") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "203.0.113.5|2024-03-01T10:22:00Z",
            ("203.0.113.5", None, datetime(2024, 3, 1, 10, 22, tzinfo=UTC)),
        ),
        ("203.0.113.5:8080", ("203.0.113.5", 8080, None)),
        ("[2001:db8::1]:443", ("2001:db8::1", 443, None)),
        (
            "203.0.113.5,2024-03-01 10:22:00",
            ("203.0.113.5", None, datetime(2024, 3, 1, 10, 22, tzinfo=UTC)),
        ),
        (
            "2001:db8::1 2024-03-01T12:22:00+02:00",
            ("2001:db8::1", None, datetime(2024, 3, 1, 10, 22, tzinfo=UTC)),
        ),
        (
            "010.0.0.1 | 2024-03-01 10:22:00 UTC",
            ("10.0.0.1", None, datetime(2024, 3, 1, 10, 22, tzinfo=UTC)),
        ),
        (
            "10.0.0.1 03/01/2024 10:22:00 PM",
            ("10.0.0.1", None, datetime(2024, 3, 1, 22, 22, tzinfo=UTC)),
        ),
        ("203.0.113.5|garbage", None),
        ("203.0.113.5:99999", None),
        ("not an ip", None),
        ("", None),
    ],
)
def test_it_parses_ip_observations(text: str, expected: tuple[object, ...] | None) -> None:
    assert parse_ip_observation(text) == expected


NARRATIVE = """Suspect used hxxps://evil[.]example[.]com/path?id=3 and emailed bad.guy[at]gmail[dot]com.
Logins from 203.0.113[.]5 and 2001:db8::1; phone (202) 555-0143 or +44 20 7946 0958.
His Instagram user: cool.kid99 and Snapchat: snappy_1, kik username kiddo, Discord: name#1234 and @someone.
See t.me/tguser and example.org/page. Visit http://198.51.100.7:8080/x. Contact foo@example.com
or Foo@Example.com. He said.Today we met at 10:22:00 on 2024-03-01 and read report.pdf."""


def _found(text: str) -> set[tuple[str, str]]:
    return {(e.type, e.value) for e in extract(text)}


def test_it_extracts_selectors_from_a_narrative() -> None:
    found = _found(NARRATIVE)
    assert found == {
        ("url", "https://evil.example.com/path?id=3"),
        ("email", "badguy@gmail.com"),
        ("ip", "203.0.113.5"),
        ("ip", "2001:db8::1"),
        ("phone", "+12025550143"),
        ("phone", "+442079460958"),
        ("online_id", "instagram:cool.kid99"),
        ("online_id", "snapchat:snappy_1"),
        ("online_id", "kik:kiddo"),
        ("online_id", "discord:name#1234"),
        ("online_id", "unknown:someone"),
        ("online_id", "telegram:tguser"),
        ("url", "http://t.me/tguser"),
        ("url", "http://example.org/page"),
        ("url", "http://198.51.100.7:8080/x"),
        ("ip", "198.51.100.7"),  # an IP that hosts a URL is reported as an IP too
        ("email", "foo@example.com"),
    }


def test_it_reports_offsets_into_the_original_text() -> None:
    items = extract(NARRATIVE)
    assert [e.start for e in items] == sorted(e.start for e in items)
    for e in items:
        assert NARRATIVE[e.start : e.end] == e.raw
    by_value = {e.value: e for e in items}
    assert by_value["badguy@gmail.com"].raw == "bad.guy[at]gmail[dot]com"
    assert (
        by_value["https://evil.example.com/path?id=3"].raw
        == "hxxps://evil[.]example[.]com/path?id=3"
    )
    assert by_value["203.0.113.5"].raw == "203.0.113[.]5"
    assert by_value["instagram:cool.kid99"].raw == "cool.kid99"


def test_it_deduplicates_by_type_and_value() -> None:
    items = extract("a@example.com, A@EXAMPLE.com and a@example.com")
    assert [(e.type, e.value, e.start) for e in items] == [("email", "a@example.com", 0)]


def test_it_does_not_report_an_email_domain_as_a_url() -> None:
    assert _found("write to john.smith@example.co.uk today") == {
        ("email", "john.smith@example.co.uk")
    }


def test_it_finds_defanged_forms() -> None:
    found = _found(
        "hxxp://bad(.)example/x, user(at)example(dot)org, 10[.]0[.]0[.]1 and user[@]example[.]net"
    )
    assert found == {
        ("url", "http://bad.example/x"),
        ("email", "user@example.org"),
        ("email", "user@example.net"),
        ("ip", "10.0.0.1"),
    }


def test_it_skips_what_only_looks_like_a_selector() -> None:
    text = "Version 1.2.3, file report.pdf, archive.zip, at 10:22:00 on 2024-03-01, said.Then left, e.g. now, 5@10"
    assert extract(text) == []


def test_it_needs_a_keyword_or_marker_after_a_platform_word() -> None:
    assert _found("he used instagram daily and his snapchat was deleted") == set()
    assert _found("Snapchat user was banned") == set()
    assert _found("X user: badguy") == {("online_id", "x:badguy")}
    assert _found("TikTok @dancer and tiktok.com/@dancer") == {
        ("online_id", "tiktok:dancer"),
        ("url", "http://tiktok.com/@dancer"),
    }


def test_it_reads_profile_urls_as_online_ids() -> None:
    found = _found(
        "https://www.instagram.com/p/abc https://www.facebook.com/profile.php?id=1234 x.com/badguy"
    )
    assert ("online_id", "facebook:1234") in found
    assert ("online_id", "x:badguy") in found
    assert not any(v.startswith("instagram:") for _, v in found)


def test_it_uses_the_region_for_phone_numbers() -> None:
    assert _found("call 020 7946 0958") == set()
    assert {e.value for e in extract("call 020 7946 0958", region="GB")} == {"+442079460958"}


def _narrative(size: int) -> str:
    rng = random.Random(7)
    words = (
        "the suspect contacted victim via email on several occasions and later met at the "
        "location reported by officer. He said (briefly) that on 2024-03-01 at 10:22 the "
        "account was used; 5 images were uploaded"
    ).split()
    selectors = [
        "user{}@example.com",
        "203.0.113.{}",
        "hxxp://site{}[.]example[.]org/p",
        "(202) 555-01{:02d}",
        "@handle{}",
        "Instagram user: insta{}",
        "kik.me/k{}",
        "www.foo{}.co.uk",
    ]
    chunks, n = [], 0
    while n < size:
        word = (
            rng.choice(words)
            if rng.random() > 0.02
            else rng.choice(selectors).format(rng.randint(0, 99))
        )
        chunks.append(word)
        n += len(word) + 1
    return " ".join(chunks)


def test_it_extracts_from_a_megabyte_quickly() -> None:
    text = _narrative(1_000_000)
    extract(_narrative(2_000))  # load the phone metadata and the suffix list once
    started = time.process_time()
    items = extract(text)
    elapsed = time.process_time() - started
    assert len(items) > 500
    # CPU seconds of this process (a loaded machine does not inflate them): about 0.2 s;
    # the bound catches super-linear (backtracking) extraction, not a slow core.
    assert elapsed < 3.0, elapsed


@pytest.mark.parametrize(
    "text",
    [
        "a" * 300_000,
        "a." * 150_000,
        "1" * 300_000,
        "1 " * 150_000,
        "1." * 150_000,
        "a:" * 150_000,
        "ab:" * 100_000,
        "@" * 300_000,
        "a@" * 150_000,
        "a" * 300_000 + "@example.com",
        "a-" * 150_000,
        "http://" + "a" * 300_000,
        "[.]" * 100_000,
        "(at)" * 75_000,
        "instagram" + " " * 300_000 + "x",
        "instagram user " * 20_000,
        "(202) 555-0143 " * 20_000,
        ("a" * 63 + ".") * 5_000,
        "::" * 150_000,
        "hxxp" * 75_000,
        "x.co/" * 60_000,
    ],
    ids=lambda t: repr(t[:12]),
)
def test_it_resists_adversarial_input(text: str) -> None:
    started = time.process_time()
    extract(text)
    # Linear scans take well under a second here; a quadratic one takes minutes.
    assert time.process_time() - started < 10.0


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_TYPES), st.text(max_size=80))
def test_it_never_raises_when_normalising(type_: str, raw: str) -> None:
    value = normalise(type_, raw)
    assert value is None or isinstance(value, str)


def _idempotent(type_: str, raw: str, **kwargs: str) -> None:
    value = normalise(type_, raw, **kwargs)
    if value is not None:
        assert normalise(type_, value) == value


@settings(max_examples=300)
@given(st.sampled_from(ALL_TYPES), st.text(max_size=60))
def test_it_normalises_any_text_idempotently(type_: str, raw: str) -> None:
    _idempotent(type_, raw)


@given(st.emails())
def test_it_normalises_emails_idempotently(raw: str) -> None:
    _idempotent("email", raw)


@given(st.emails().map(lambda e: e.split("@")[0] + "@" + "GoogleMail.com"))
def test_it_normalises_gmail_idempotently(raw: str) -> None:
    _idempotent("email", raw)


@given(st.ip_addresses())
def test_it_normalises_every_ip_address(ip: object) -> None:
    value = normalise("ip", str(ip))
    assert value is not None
    assert normalise("ip", value) == value
    assert normalise("ip", value.replace(".", "[.]")) == value


@given(st.tuples(*[st.integers(0, 255)] * 4), st.tuples(*[st.integers(0, 2)] * 4))
def test_it_reads_zero_padded_ipv4(octets: tuple[int, ...], pads: tuple[int, ...]) -> None:
    padded = ".".join(
        str(o).zfill(min(3, len(str(o)) + p)) for o, p in zip(octets, pads, strict=True)
    )
    assert normalise("ip", padded) == ".".join(map(str, octets))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(urls())
def test_it_normalises_urls_idempotently(raw: str) -> None:
    _idempotent("url", raw)


@given(domains())
def test_it_normalises_domains_idempotently(raw: str) -> None:
    value = normalise("domain", raw)
    assert value is not None
    assert normalise("domain", value) == value


@given(st.text(alphabet="0123456789 -()+.", max_size=20), st.sampled_from(["US", "GB", "DE", "FR"]))
def test_it_normalises_phones_idempotently(raw: str, region: str) -> None:
    _idempotent("phone", raw, default_region=region)


@given(st.text(max_size=30), st.one_of(st.none(), st.text(max_size=12)))
def test_it_normalises_online_ids_idempotently(raw: str, platform: str | None) -> None:
    value = normalise("online_id", raw, platform=platform)
    if value is not None:
        assert normalise("online_id", value) == value


@given(st.text(alphabet="0123456789 -", max_size=25))
def test_it_normalises_ssns_and_cards_idempotently(raw: str) -> None:
    _idempotent("ssn", raw)
    _idempotent("card", raw)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.sampled_from(
                [
                    "[.]",
                    "(at)",
                    "hxxp://",
                    "@",
                    ".",
                    ":",
                    "://",
                    "example.com",
                    "1.2.3.4",
                    "+1 202 555 0143",
                    " ",
                    "\n",
                ]
            ),
        ),
        max_size=20,
    ).map("".join)
)
def test_it_never_raises_when_extracting(text: str) -> None:
    for item in extract(text):
        assert isinstance(item, Extracted)
        assert text[item.start : item.end] == item.raw
        assert item.value


# --- issue 15: online IDs written in prose, phones that do not validate ------------------

PROSE_HANDLES = [
    ("Kik username x_panda_night", "kik:x_panda_night"),
    ("instagram @x_comet_velvet", "instagram:x_comet_velvet"),
    ("snapchat: dk_lens_pro", "snapchat:dk_lens_pro"),
    ("his Discord is kestrel#0420", "discord:kestrel#0420"),
    ("on Telegram as @night_owl", "telegram:night_owl"),
    ("TikTok user name dk_river", "tiktok:dk_river"),
    ("forum-user kestrel99", "unknown:kestrel99"),
    ("forum user kestrel99 posted", "unknown:kestrel99"),
    ("username kestrel99 on a forum", "unknown:kestrel99"),
    ("the handle is x_owl_7", "unknown:x_owl_7"),
    ("contacted via Instagram (x_comet_velvet)", "instagram:x_comet_velvet"),
    ("then on kik as x_sun_2", "kik:x_sun_2"),
    ("Snapchat - dk_lens_pro", "snapchat:dk_lens_pro"),
]


@pytest.mark.parametrize("text, value", PROSE_HANDLES)
def test_it_finds_online_ids_written_in_prose(text: str, value: str) -> None:
    found = [e.value for e in selectors.extract(text) if e.type == "online_id"]
    assert found == [value]


@pytest.mark.parametrize(
    "text",
    [
        "Snapchat as well as Kik",
        "he uses snapchat (rarely)",
        "his username is unknown",
        "as soon as possible on kik",
        "the user name was not provided",
    ],
)
def test_it_does_not_take_everyday_words_for_handles(text: str) -> None:
    assert [e for e in selectors.extract(text) if e.type == "online_id"] == []


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("07700 900022", "+447700900022"),
        ("+44 7700 900033", "+447700900033"),
        ("+44 20 7946 0958", "+442079460958"),
        ("12345", None),
        ("", None),
    ],
)
def test_it_keeps_a_best_effort_form_of_phones_that_do_not_validate(raw, expected) -> None:
    assert selectors.phone_best_effort(raw, "GB") == expected
    if expected:
        assert selectors.phone_best_effort(expected, "GB") == expected
