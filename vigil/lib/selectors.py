"""Selectors: the data points that tie tips together (IPs, e-mails, handles…).

Pure Python (no Django). Three jobs:

- `normalise(type, raw)` turns what an analyst typed or a tip carried into the
  one comparable value stored in the selector index (or None when invalid);
- `extract(text)` finds selectors in free text (a tip narrative), defanged
  forms included;
- `refang(text)` undoes the usual defanging (hxxp, [.], [at]…).

Choices worth knowing:

- An IP address that is the host of a URL is reported twice by `extract`: as
  the URL and as the IP (with the span of the host), because the bare IP is
  what other tips will carry. An e-mail's domain is never reported as a URL.
- A profile URL of a known platform (instagram.com/name, t.me/name…) is
  reported as the URL and as an online_id.
- `normalise("ip", …)` accepts and drops a port ("203.0.113.5:8080",
  "[2001:db8::1]:443"); `parse_ip_observation` keeps it.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

import idna
import phonenumbers
import tldextract

from .names import normalise_name, unicode_fold

__all__ = [
    "ADDRESS",
    "ATTRIBUTE",
    "CARD",
    "DOMAIN",
    "EMAIL",
    "IP",
    "ONLINE_ID",
    "PERSON",
    "PHONE",
    "SSN",
    "URL",
    "VEHICLE",
    "Extracted",
    "IPObservation",
    "SelectorType",
    "extract",
    "fold_platform",
    "normalise",
    "parse_ip_observation",
    "refang",
    "registered_domain",
]


class SelectorType(StrEnum):
    IP = "ip"
    EMAIL = "email"
    URL = "url"
    DOMAIN = "domain"
    ONLINE_ID = "online_id"
    PHONE = "phone"
    PERSON = "person"
    ADDRESS = "address"
    VEHICLE = "vehicle"
    SSN = "ssn"
    CARD = "card"
    ATTRIBUTE = "attribute"


IP = SelectorType.IP.value
EMAIL = SelectorType.EMAIL.value
URL = SelectorType.URL.value
DOMAIN = SelectorType.DOMAIN.value
ONLINE_ID = SelectorType.ONLINE_ID.value
PHONE = SelectorType.PHONE.value
PERSON = SelectorType.PERSON.value
ADDRESS = SelectorType.ADDRESS.value
VEHICLE = SelectorType.VEHICLE.value
SSN = SelectorType.SSN.value
CARD = SelectorType.CARD.value
ATTRIBUTE = SelectorType.ATTRIBUTE.value

# ---------------------------------------------------------------------------
# Refanging
# ---------------------------------------------------------------------------

# Each alternative starts with a bracket or an "h", so the scan skips ahead
# quickly and is linear. Case is spelt out: re.IGNORECASE defeats that skip.
_DEFANG_RE = re.compile(
    r"""[\[({][ \t]{0,2}
        (?:(?P<dot>\.|[dD][oO][tT])|(?P<at>@|[aA][tT])|(?P<colon>:(?://)?))
        [ \t]{0,2}[\])}]""",
    re.VERBOSE,
)
_DEFANG_SCHEME_RE = re.compile(r"[hH](?:[xX]{2}|\*\*)[pP](?P<s>[sS]?)(?=\[?:)")
_MAX_PAD = 3  # spaces absorbed around "[.]" / "[at]": "name [at] example [dot] com"


def _defang_matches(text: str) -> Iterable[tuple[int, int, str]]:
    """(start, end, replacement) for each defanged token, in order, not overlapping."""
    matches = list(_DEFANG_RE.finditer(text))
    schemes = list(_DEFANG_SCHEME_RE.finditer(text))
    if schemes:  # the two never overlap: one starts with a bracket, the other is letters
        matches = sorted(matches + schemes, key=lambda m: m.start())
    last = 0
    for m in matches:
        start, end = m.start(), m.end()
        if m.re is _DEFANG_SCHEME_RE:
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue  # inside a word
            yield start, end, "https" if m.group("s") else "http"
            last = end
            continue
        if m.group("colon"):
            yield start, end, m.group("colon")
            last = end
            continue
        floor = max(last, start - _MAX_PAD)
        while start > floor and text[start - 1] in " \t":
            start -= 1
        ceiling = min(len(text), end + _MAX_PAD)
        while end < ceiling and text[end] in " \t":
            end += 1
        yield start, end, "." if m.group("dot") else "@"
        last = end


def refang(text: str) -> str:
    """Undo common defanging: hxxp(s) → http(s), [.] (.) [dot] → ., [@] (at) → @, [:] → :."""
    return _refang_with_map(text)[0]


def _refang_fully(text: str) -> str:
    # "[[.]]" refangs to "[.]": repeat so that normalise() stays idempotent.
    # Terminates: every pass that changes the text shortens it or removes an "hxxp".
    while True:
        fanged = refang(text)
        if fanged == text:
            return text
        text = fanged


class _OffsetMap:
    """Maps positions in refanged text back to the original text."""

    def __init__(self, spans: list[tuple[int, int, int, int]]) -> None:
        # (new_start, new_end, old_start, old_end) for each replacement, in order.
        self.spans = spans
        self.new_starts = [s[0] for s in spans]

    def start(self, pos: int) -> int:
        k = bisect.bisect_right(self.new_starts, pos) - 1
        if k < 0:
            return pos
        _, new_end, old_start, old_end = self.spans[k]
        return old_start if pos < new_end else old_end + (pos - new_end)

    def end(self, pos: int) -> int:
        k = bisect.bisect_left(self.new_starts, pos) - 1
        if k < 0:
            return pos
        _, new_end, _, old_end = self.spans[k]
        return old_end if pos <= new_end else old_end + (pos - new_end)


def _refang_with_map(text: str) -> tuple[str, _OffsetMap | None]:
    pieces: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    last = 0
    delta = 0
    for start, end, replacement in _defang_matches(text):
        pieces.append(text[last:start])
        pieces.append(replacement)
        new_start = start + delta
        spans.append((new_start, new_start + len(replacement), start, end))
        delta += len(replacement) - (end - start)
        last = end
    if not spans:
        return text, None
    pieces.append(text[last:])
    return "".join(pieces), _OffsetMap(spans)


# ---------------------------------------------------------------------------
# Hosts, IPs, domains
# ---------------------------------------------------------------------------

_LABEL_RE = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_IPV4_RE = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")
_IPV4_PORT_RE = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,3}){3}):([0-9]{1,5})")
_BRACKETED_RE = re.compile(r"\[([^\[\]]+)\](?::([0-9]{1,5}))?")


def _ipv4(text: str) -> str | None:
    """Dotted-quad IPv4 with leading zeros read as decimal ("010.001.002.003" → "10.1.2.3")."""
    m = _IPV4_RE.fullmatch(text)
    if not m:
        return None
    octets = [int(g) for g in m.groups()]
    if any(o > 255 for o in octets):
        return None
    return ".".join(map(str, octets))


def _ip(text: str) -> str | None:
    v4 = _ipv4(text)
    if v4 is not None:
        return v4
    if ":" not in text or not text.isascii():
        return None
    text = text.split("%", 1)[0]  # a zone id names an interface, not a host
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    if addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return addr.compressed


def _normalise_ip(raw: str) -> str | None:
    text = _refang_fully(raw.strip()).strip()
    m = _BRACKETED_RE.fullmatch(text) or _IPV4_PORT_RE.fullmatch(text)
    if m:
        text = m.group(1)
    return _ip(text)


def _host(raw: str, *, drop_www: bool) -> str | None:
    """Lower-case ASCII (punycode) host name, or None if it is not one."""
    host = raw.strip().lower().rstrip(".")
    if not host or len(host) > 253 * 4:
        return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            try:
                host = host.encode("idna").decode("ascii")
            except (UnicodeError, ValueError):
                return None
        host = host.lower().rstrip(".")
    if len(host) > 253:
        return None
    labels = host.split(".")
    if not all(_LABEL_RE.fullmatch(label) for label in labels):
        return None
    while drop_www and len(labels) > 2 and labels[0] == "www":
        labels = labels[1:]
    return ".".join(labels)


def _domain_name(host: str | None) -> str | None:
    """A host that is a registrable-looking name (a dot, a non-numeric TLD)."""
    if host is None or "." not in host:
        return None
    tld = host.rsplit(".", 1)[1]
    if tld.isdigit() or _ipv4(host) is not None:
        return None
    return host


def _normalise_domain(raw: str) -> str | None:
    text = _refang_fully(raw.strip()).strip()
    if not text or any(c.isspace() for c in text):
        return None
    if "/" in text or ":" in text or "@" in text or "?" in text or "#" in text:
        url = _normalise_url(text)
        if url is None:
            return None
        host = urlsplit(url).hostname
        return _domain_name(host) if host else None
    return _domain_name(_host(text, drop_www=True))


@functools.cache
def _tld_extractor() -> tldextract.TLDExtract:
    # The bundled public-suffix snapshot only: never fetch, never write a cache.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registered_domain(host: str) -> str | None:
    """The registrable domain of a host or URL ("forums.example.co.uk" → "example.co.uk")."""
    domain = _normalise_domain(host)
    if domain is None:
        return None
    parts = _tld_extractor()(domain)
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}"


@functools.cache
def _known_tlds() -> frozenset[str]:
    return frozenset(s.rsplit(".", 1)[-1] for s in _tld_extractor().tlds if s.isascii())


# TLDs that are far more often file extensions in a narrative than domains.
# They count only with a path or a "www." ("t.me/name", "www.example.it").
_AMBIGUOUS_TLDS = frozenset(
    "zip mov md sh py rs ps pl am pm so it me to in is as at be do go no on us".split()
)

# ---------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------

_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*)://")
_NOT_SCHEMELESS_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:(?![0-9])")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}


def _normalise_url(raw: str) -> str | None:
    text = _refang_fully(raw.strip()).strip()
    if not text or any(c.isspace() or ord(c) < 32 or c == "\x7f" for c in text):
        return None
    if text.startswith("//"):
        text = "http:" + text
    elif not _SCHEME_RE.match(text):
        if _NOT_SCHEMELESS_RE.match(text):
            return None  # mailto:, javascript:, …
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    userinfo, _, hostport = parts.netloc.rpartition("@")
    bracketed = _BRACKETED_RE.fullmatch(hostport)
    if bracketed:
        host_raw, port_raw = bracketed.group(1), bracketed.group(2) or ""
        ip = _ip(host_raw)
        if ip is None or ":" not in host_raw:
            return None
        host = f"[{ip}]" if ":" in ip else ip
    else:
        host_raw, colon, port_raw = hostport.partition(":")
        if colon and not port_raw.isdigit() and port_raw != "":
            return None
        name = _host(host_raw, drop_www=True)
        if name is None or "." not in name:
            return None
        if re.fullmatch(r"[0-9.]+", name):
            name = _ipv4(name)  # "010.0.0.1" → "10.0.0.1"; "1.2.3" is no host
            if name is None:
                return None
        host = name
    port = ""
    if port_raw:
        if not port_raw.isascii() or not port_raw.isdigit() or len(port_raw) > 5:
            return None
        number = int(port_raw)
        if number > 65535:
            return None
        if _DEFAULT_PORTS.get(scheme) != number:
            port = f":{number}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    user = f"{userinfo}@" if userinfo else ""
    return f"{scheme}://{user}{host}{port}{path}{query}"


# ---------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------

_LOCAL_RE = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}")
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def _normalise_email(raw: str) -> str | None:
    text = _refang_fully(raw.strip()).strip().strip("<>\"'").strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0].strip()
    text = text.lower()
    if text.count("@") != 1:
        return None
    local, domain_raw = text.split("@")
    if not _LOCAL_RE.fullmatch(local):
        return None
    domain = _domain_name(_host(domain_raw, drop_www=False))
    if domain is None:
        return None
    if domain in _GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.split("+", 1)[0].replace(".", "")
        if not local:
            return None
    return f"{local}@{domain}"


# ---------------------------------------------------------------------------
# Online identifiers
# ---------------------------------------------------------------------------

_PLATFORM_ALIASES: dict[str, str] = {
    "twitter": "x",
    "x": "x",
    "xcom": "x",
    "twittercom": "x",
    "fb": "facebook",
    "facebook": "facebook",
    "facebookcom": "facebook",
    "fbcom": "facebook",
    "messenger": "facebook",
    "facebookmessenger": "facebook",
    "meta": "facebook",
    "ig": "instagram",
    "insta": "instagram",
    "instagram": "instagram",
    "instagramcom": "instagram",
    "snap": "snapchat",
    "sc": "snapchat",
    "snapchat": "snapchat",
    "kik": "kik",
    "kikmessenger": "kik",
    "tg": "telegram",
    "telegram": "telegram",
    "tme": "telegram",
    "discord": "discord",
    "discordapp": "discord",
    "tiktok": "tiktok",
    "tt": "tiktok",
    "musically": "tiktok",
    "whatsapp": "whatsapp",
    "wa": "whatsapp",
    "skype": "skype",
    "reddit": "reddit",
    "roblox": "roblox",
    "youtube": "youtube",
    "yt": "youtube",
    "twitch": "twitch",
    "wickr": "wickr",
    "wickrme": "wickr",
    "signal": "signal",
    "threema": "threema",
    "omegle": "omegle",
    "tumblr": "tumblr",
    "pinterest": "pinterest",
    "grindr": "grindr",
    "yubo": "yubo",
    "yellow": "yubo",
    "steam": "steam",
    "xbox": "xbox",
    "xboxlive": "xbox",
    "xbl": "xbox",
    "psn": "playstation",
    "playstation": "playstation",
    "playstationnetwork": "playstation",
    "wechat": "wechat",
    "line": "line",
    "viber": "viber",
    "vk": "vk",
    "vkontakte": "vk",
    "linkedin": "linkedin",
    "github": "github",
    "onlyfans": "onlyfans",
    "session": "session",
    "element": "matrix",
    "matrix": "matrix",
    "minecraft": "minecraft",
    "fortnite": "epicgames",
    "epic": "epicgames",
    "epicgames": "epicgames",
    "imvu": "imvu",
    "zepeto": "zepeto",
    "meetme": "meetme",
    "badoo": "badoo",
    "tinder": "tinder",
    "bumble": "bumble",
    "hangouts": "google",
    "google": "google",
    "gmail": "google",
    "kakao": "kakaotalk",
    "kakaotalk": "kakaotalk",
    "qq": "qq",
    "mewe": "mewe",
    "tellonym": "tellonym",
    "askfm": "askfm",
    "dropbox": "dropbox",
    "mega": "mega",
    "meganz": "mega",
    "teams": "teams",
    "zoom": "zoom",
    "omeglecom": "omegle",
}


def fold_platform(platform: str | None) -> str:
    """Canonical platform name ("Twitter" → "x", "FB" → "facebook"); "unknown" if none."""
    if not platform:
        return "unknown"
    key = re.sub(r"[^a-z0-9]", "", unicode_fold(platform))[:40]
    if not key:
        return "unknown"
    return _PLATFORM_ALIASES.get(key, key)


# host → platform for profile URLs; path rules in _profile_from_url.
_PROFILE_HOSTS: dict[str, str] = {
    "instagram.com": "instagram",
    "twitter.com": "x",
    "x.com": "x",
    "mobile.twitter.com": "x",
    "tiktok.com": "tiktok",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "fb.com": "facebook",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "snapchat.com": "snapchat",
    "kik.me": "kik",
    "youtube.com": "youtube",
    "reddit.com": "reddit",
    "old.reddit.com": "reddit",
    "twitch.tv": "twitch",
    "github.com": "github",
    "roblox.com": "roblox",
}
_NOT_PROFILES = frozenset(
    "p reel reels explore stories accounts about help legal privacy terms login signup share "
    "watch home search hashtag intent i status settings messages notifications groups events "
    "pages marketplace video videos photo photos permalink story tag tags discover joinchat "
    "add c channel channels r s".split()
)
_HANDLE_CHARS_RE = re.compile(r"[a-z0-9_.\-]{1,64}(?:#[0-9]{4})?")


def _profile_from_url(url: str) -> str | None:
    """online_id value ("instagram:name") for a normalised profile URL, if it is one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    platform = _PROFILE_HOSTS.get(parts.hostname or "")
    if platform is None:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if platform == "facebook" and segments[:1] == ["profile.php"]:
        ids = parse_qs(parts.query).get("id")
        return f"facebook:{ids[0]}" if ids and ids[0].isdigit() else None
    if platform == "snapchat" and len(segments) >= 2 and segments[0] == "add":
        segments = segments[1:]
    elif platform == "reddit" and len(segments) >= 2 and segments[0] in ("user", "u"):
        segments = segments[1:]
    elif platform == "roblox" and len(segments) >= 2 and segments[0] == "users":
        segments = segments[1:]
    elif platform in ("tiktok", "youtube"):
        if not segments or not segments[0].startswith("@"):
            return None
    if not segments:
        return None
    handle = segments[0].lstrip("@").lower()
    if handle in _NOT_PROFILES or not _HANDLE_CHARS_RE.fullmatch(handle):
        return None
    return f"{platform}:{handle}"


def _normalise_online_id(raw: str, platform: str | None) -> str | None:
    text = raw.strip()
    if not text:
        return None
    if platform is None and ("/" in text or text.lower().startswith("www.")):
        url = _normalise_url(text)
        profile = _profile_from_url(url) if url else None
        if profile:
            return profile
        scheme = _SCHEME_RE.match(text)
        if scheme and scheme.group(1).lower() in _SCHEMES:
            return None  # a URL, but not a profile page we can read a handle from
    prefix, colon, rest = text.partition(":")
    folded_prefix = fold_platform(prefix) if colon else ""
    if colon and (
        (platform is None and re.fullmatch(r"[^\s:@]{1,40}", prefix.strip()) is not None)
        or (platform is not None and folded_prefix == fold_platform(platform))
    ):
        name, handle = folded_prefix, rest
    else:
        name, handle = fold_platform(platform), text
    handle = " ".join(unicode_fold(handle).split()).lstrip("@ ")
    if not handle or any(ord(c) < 32 for c in handle):
        return None
    return f"{name}:{handle}"


# ---------------------------------------------------------------------------
# Phone, person, address, vehicle, SSN, card, attribute
# ---------------------------------------------------------------------------


def _normalise_phone(raw: str, region: str | None) -> str | None:
    text = raw.strip()
    if not text or len(text) > 100:
        return None
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except Exception:  # phonenumbers raises more than NumberParseException on odd input
        return None


def phone_best_effort(raw: str, region: str | None) -> str | None:
    """A comparable form for a phone number libphonenumber will not validate
    (reserved ranges such as UK 07700 900xxx, ranges newer than its metadata):
    E.164 where the number is *possible*, else its digits ("+" kept). None only
    when there are too few digits to be a phone number at all. Idempotent.

    Callers keep such a selector marked "not validated": a tip is never lost
    because one of its values cannot be normalised.
    """
    text = raw.strip()
    if not text or len(text) > 100:
        return None
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except Exception:  # phonenumbers raises more than NumberParseException on odd input
        number = None
    if (
        number is not None
        and phonenumbers.is_possible_number(number)
        and len(str(number.national_number)) >= 6
    ):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = re.sub(r"[^0-9]", "", text)
    if not 6 <= len(digits) <= 17:
        return None
    return ("+" if text.lstrip().startswith("+") else "") + digits


_ADDRESS_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "ter",
    "parkway": "pkwy",
    "highway": "hwy",
    "circle": "cir",
    "crescent": "cres",
    "trail": "trl",
    "way": "way",
    "expressway": "expy",
    "freeway": "fwy",
    "turnpike": "tpke",
    "mount": "mt",
    "fort": "ft",
    "apartment": "apt",
    "suite": "ste",
    "building": "bldg",
    "floor": "fl",
    "room": "rm",
    "department": "dept",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
_ADDRESS_TOKEN_RE = re.compile(r"[^\W_]+")


def _normalise_address(raw: str) -> str | None:
    text = re.sub(r"['‘’`]", "", unicode_fold(raw))
    tokens = [_ADDRESS_WORDS.get(t, t) for t in _ADDRESS_TOKEN_RE.findall(text)]
    joined = " ".join(tokens)
    joined = re.sub(r"\b(?:p o|post office) box\b", "po box", joined)
    return joined or None


def _normalise_vehicle(raw: str) -> str | None:
    text = unicode_fold(raw).upper()
    state, colon, plate = text.partition(":")
    if not colon:
        state, plate = "", text
    state = re.sub(r"[^A-Z0-9]", "", state)
    plate = re.sub(r"[^A-Z0-9]", "", plate)
    if not plate or len(plate) > 16 or len(state) > 8:
        return None
    return f"{state}:{plate}" if state else plate


def _digits(raw: str, pattern: str) -> str | None:
    text = raw.strip()
    if not re.fullmatch(r"[0-9][0-9 \-]*", text):
        return None
    digits = re.sub(r"[ \-]", "", text)
    return digits if re.fullmatch(pattern, digits) else None


def _normalise_ssn(raw: str) -> str | None:
    digits = _digits(raw, r"[0-9]{9}")
    if digits is None:
        return None
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return None
    return digits


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _normalise_card(raw: str) -> str | None:
    digits = _digits(raw, r"[0-9]{13,19}")
    return digits if digits is not None and _luhn_ok(digits) else None


def _normalise_person(raw: str) -> str | None:
    return normalise_name(raw) or None


def _normalise_attribute(raw: str) -> str | None:
    return " ".join(raw.split()) or None


# Longer than any real selector; keeps worst-case refanging of nested "[[.]]" cheap.
_MAX_RAW_LENGTH = 16_384


def normalise(
    type: str,  # the contract's name, shadowing the builtin
    raw: str,
    *,
    default_region: str | None = None,
    platform: str | None = None,
) -> str | None:
    """The comparable value of a selector, or None when `raw` is not a valid one.

    Never raises for a str; idempotent on its own output. `default_region`
    (ISO country code) reads national phone numbers; `platform` names the
    platform of an online_id given as a bare handle.
    """
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_LENGTH:
        return None
    if type == PHONE:
        return _normalise_phone(raw, default_region)
    if type == ONLINE_ID:
        return _normalise_online_id(raw, platform)
    handler = _NORMALISERS.get(type)
    return handler(raw) if handler is not None else None


_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    IP: _normalise_ip,
    EMAIL: _normalise_email,
    URL: _normalise_url,
    DOMAIN: _normalise_domain,
    PERSON: _normalise_person,
    ADDRESS: _normalise_address,
    VEHICLE: _normalise_vehicle,
    SSN: _normalise_ssn,
    CARD: _normalise_card,
    ATTRIBUTE: _normalise_attribute,
}

# ---------------------------------------------------------------------------
# IP observations ("203.0.113.5|2024-03-01T10:22:00Z")
# ---------------------------------------------------------------------------


class IPObservation(NamedTuple):
    ip: str
    port: int | None
    seen_at: datetime | None


_OBSERVATION_RE = re.compile(
    r"(?P<addr>\[[^\[\]]*\](?::[0-9]{1,5})?|[^\s|,;]+)\s*(?:[|,;]\s*)?(?P<ts>.*)", re.DOTALL
)
_TIMESTAMP_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%d %b %Y %H:%M:%S",
    "%b %d %Y %H:%M:%S",
    "%b %d, %Y %H:%M:%S",
)


def _parse_timestamp(text: str) -> datetime | None:
    text = text.strip()
    upper = text.upper()
    for word in ("UTC", "GMT", "Z"):
        if upper.endswith(word):
            text = text[: -len(word)].rstrip() + "+00:00"
            break
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        bare = text.removesuffix("+00:00").strip()
        for fmt in _TIMESTAMP_FORMATS:
            try:
                parsed = datetime.strptime(bare, fmt).replace(tzinfo=UTC)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_ip_observation(text: str) -> IPObservation | None:
    """Split "IP[:port][ |,;]timestamp" into (ip, port, aware UTC datetime).

    Understands "203.0.113.5|2024-03-01T10:22:00Z", "203.0.113.5:8080",
    "[2001:db8::1]:443" and "203.0.113.5,2024-03-01 10:22:00". A naive
    timestamp is taken as UTC. None when the IP, port or a present timestamp
    does not parse.
    """
    m = _OBSERVATION_RE.fullmatch(_refang_fully(text.strip()))
    if not m:
        return None
    addr, ts = m.group("addr"), m.group("ts").strip()
    port_raw: str | None = None
    bracketed = _BRACKETED_RE.fullmatch(addr)
    with_port = _IPV4_PORT_RE.fullmatch(addr)
    if bracketed:
        addr, port_raw = bracketed.group(1), bracketed.group(2)
    elif with_port:
        addr, port_raw = with_port.group(1), with_port.group(2)
    ip = _ip(addr)
    if ip is None:
        return None
    port: int | None = None
    if port_raw is not None:
        port = int(port_raw)
        if port > 65535:
            return None
    seen_at: datetime | None = None
    if ts:
        seen_at = _parse_timestamp(ts)
        if seen_at is None:
            return None
    return IPObservation(ip, port, seen_at)


# ---------------------------------------------------------------------------
# Extraction from free text
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Extracted:
    """One selector found in text. `raw` is original[start:end] as written
    (defanged forms included); `value` is its normalised form. For a handle
    found after a platform word ("Kik user: name") the span is the handle's
    and the platform is in the value ("kik:name")."""

    type: str
    raw: str
    value: str
    start: int
    end: int


# Extraction scans are built so that Python's regex engine can skip ahead on a
# literal or a character set ("://", "@", ".", a digit): leading look-behinds
# and re.IGNORECASE defeat that skip and cost 5-20x on a long narrative. Where
# a match must be extended to the left (an e-mail's local part, a host name),
# a bounded match on the reversed text does it.
_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "ws", "wss"})
_SCHEME_SEP_RE = re.compile(r"://")
_SCHEME_REV_RE = re.compile(r"[A-Za-z]{2,5}")
_URL_BODY_RE = re.compile(r"(?:\[[0-9A-Fa-f:.]{2,45}\])?[^\s<>\"'`{}|\\^\[\]]*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_LOCAL_CHARS = "A-Za-z0-9._%+\\-"
_LOCAL_REV_RE = re.compile(rf"[{_LOCAL_CHARS}]{{1,65}}")
_AT_TRIGGER_RE = re.compile(rf"[{_LOCAL_CHARS}]@[A-Za-z0-9]")
_EMAIL_RE = re.compile(rf"[{_LOCAL_CHARS}]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")
_HOST_REV_RE = re.compile(r"[A-Za-z0-9.\-]{1,254}")
_HOST_RE = re.compile(rf"(?:{_LABEL}\.)+[A-Za-z]{{2,24}}")
_TLD_RE = re.compile(r"\.(?P<tld>[A-Za-z]{2,24})(?![\w\-]|\.[A-Za-z0-9])")
_HOST_TAIL_RE = re.compile(r"(?::[0-9]{1,5})?(?:[/?#][^\s<>\"'`{}|\\^\[\]]*)?")
_IPV4_TEXT_RE = re.compile(r"[0-9](?<![\w.][0-9])[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?![\w]|\.[0-9])")
_IPV6_TRIGGER_RE = re.compile(r":[0-9A-Fa-f]{0,4}:")
_IPV6_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]{1,45}")
_PHONE_CANDIDATE_RE = re.compile(
    r"[+(0-9](?<![\w+.:/\-(][+(0-9])[ \t]?[0-9 \t().\-/]{5,25}[0-9](?!\w)"
)
_AT_HANDLE_RE = re.compile(
    r"@(?<![\w@.+\-/]@)(?P<h>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,62}[A-Za-z0-9_])?)"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_PLATFORM_WORDS = """
    instagram insta ig snapchat snap kik telegram tg discord tiktok tik_tok twitter x facebook fb
    whatsapp skype reddit roblox youtube twitch wickr threema signal tumblr pinterest grindr yubo
    steam xbox psn wechat viber vk onlyfans omegle imvu zepeto meetme mewe session kakaotalk kakao
    line tellonym github linkedin minecraft fortnite badoo tinder
""".replace("_", " ").split()


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex alternative per word, factored into a trie: a flat 50-way
    alternation is tried branch by branch at every letter of the text."""
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict[str, Any]]) -> str:
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


# Bounded whitespace everywhere: adjacent optional `\s*` would backtrack quadratically.
_PLATFORM_HANDLE_RE = re.compile(
    rf"(?P<platform>{_trie_pattern(_PLATFORM_WORDS)})\b"
    r"(?:[ \t]{1,3}(?:messenger|app|account))?"
    r"[ \t]{0,3}(?:(?P<kw>user[ \t]?names?|user[ \t]?ids?|users?|handles?|ids?|accounts?|acct|"
    r"profiles?|screen[ \t]?names?|display[ \t]?names?|names?)\b[ \t]{0,3})?"
    r"(?P<sep>[:=(]|-(?=[ \t])|\bis\b|\bas\b)?[ \t]{0,3}(?P<at>@)?"
    r"(?P<handle>[a-z0-9_][a-z0-9_.\-]{0,63}(?:#[0-9]{4})?)",
)
# A handle named as such with no platform ("forum-user kestrel99", "username
# kestrel99"): kept as a handle of unknown platform.
_GENERIC_HANDLE_RE = re.compile(
    r"\b(?:forum[ \t\-]?user(?:[ \t]?name)?|user[ \t\-]?name|screen[ \t\-]?name|handle)\b"
    r"[ \t]{0,3}(?:[:=]|-(?=[ \t])|\bis\b)?[ \t]{0,3}(?P<at>@)?"
    r"(?P<handle>[a-z0-9_][a-z0-9_.\-]{1,63}(?:#[0-9]{4})?)",
)
_PLATFORM_SET = frozenset(_PLATFORM_WORDS)
# After a weak separator ("as", "(") a handle must look like one: a digit, "_", "." or "#".
_HANDLE_LIKE_RE = re.compile(r"[0-9_.#]")
# Platform words that are also everyday words need a keyword, a ':' or an '@'.
_WEAK_PLATFORM_WORDS = frozenset(
    {"x", "line", "signal", "session", "steam", "snap", "ig", "tg", "vk", "insta"}
)
_HANDLE_STOPWORDS = frozenset(
    """a an and are as at be been belonging but by for from had has have he her his in is it its
    linked listed n/a na name no none not number of on or provided registered she that the their
    them they this to unknown used user username was were which who with account id handle profile
    """.split()
)


class _Collector:
    def __init__(self, original: str, offsets: _OffsetMap | None) -> None:
        self.original = original
        self.offsets = offsets
        self.items: list[Extracted] = []
        self.seen: set[tuple[str, str]] = set()

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.offsets is None:
            return start, end
        return self.offsets.start(start), self.offsets.end(end)

    def add(self, type_: str, value: str | None, start: int, end: int) -> bool:
        if not value:
            return False
        key = (type_, value)
        if key in self.seen:
            return True
        self.seen.add(key)
        o_start, o_end = self.span(start, end)
        self.items.append(Extracted(type_, self.original[o_start:o_end], value, o_start, o_end))
        return True


class _Spans:
    """Sorted, non-overlapping claimed spans with an O(log n) overlap test."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, end - 1)
        # Spans are disjoint and sorted; only the last one starting before `end` can reach us.
        return i > 0 and self.ends[i - 1] > start


_TRAILING_PUNCT = ".,;:!?'\")]}>*"


def _trim_url(text: str, start: int, end: int) -> int:
    """Drop trailing punctuation that belongs to the sentence, keeping balanced ')'."""
    while end > start:
        ch = text[end - 1]
        if ch == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break
        if ch in _TRAILING_PUNCT:
            end -= 1
            continue
        break
    return end


@functools.lru_cache(maxsize=8192)
def _phones_in(candidate: str, region: str) -> tuple[tuple[int, int, str], ...]:
    found: list[tuple[int, int, str]] = []
    try:
        for match in phonenumbers.PhoneNumberMatcher(candidate, region):
            value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            found.append((match.start, match.end, value))
    except Exception:  # phonenumbers must never take extraction down
        return ()
    return tuple(found)


# Distinct phone-like strings examined per call. A narrative has tens; beyond
# this the text is a table of numbers and the rest of it is not searched.
_MAX_PHONE_CANDIDATES = 2000

_cached_url = functools.lru_cache(maxsize=16384)(_normalise_url)
_cached_email = functools.lru_cache(maxsize=16384)(_normalise_email)


def _left_extent(rev: str, pos: int, pattern: re.Pattern[str]) -> int:
    """How far `pattern` reaches to the left of text position `pos` (via the reversed text)."""
    m = pattern.match(rev, len(rev) - pos)
    return m.end() - m.start() if m else 0


def _find_urls(text: str) -> Iterable[tuple[int, int]]:
    rev = text[::-1]
    for m in _SCHEME_SEP_RE.finditer(text):
        sep = m.start()
        width = _left_extent(rev, sep, _SCHEME_REV_RE)
        start = sep - width
        while width >= 2 and text[start:sep].lower() not in _SCHEMES:
            start, width = start + 1, width - 1  # "xhttp://" → "http://"
        if width < 2 or (start and (text[start - 1].isalnum() or text[start - 1] == "_")):
            continue
        body = _URL_BODY_RE.match(text, m.end())
        end = body.end() if body else m.end()
        yield start, _trim_url(text, start, end)


def _find_emails(text: str, rev: str) -> Iterable[re.Match[str]]:
    for at in _AT_TRIGGER_RE.finditer(text):
        width = _left_extent(rev, at.start() + 1, _LOCAL_REV_RE)
        if not 1 <= width <= 64:
            continue  # nothing before the @, or a local part too long to be one
        m = _EMAIL_RE.match(text, at.start() + 1 - width)
        if m:
            yield m


def _find_hosts(text: str, rev: str) -> Iterable[tuple[int, int, str]]:
    """Bare host names with a letter TLD: (start of host, end of TLD, tld as written)."""
    for m in _TLD_RE.finditer(text):
        dot = m.start()
        width = _left_extent(rev, dot, _HOST_REV_RE)
        start = dot - width
        if width == 0 or (start and (text[start - 1].isalnum() or text[start - 1] in "_@/:")):
            continue
        if _HOST_RE.fullmatch(text, start, m.end()):
            yield start, m.end(), m.group("tld")


def _find_ipv6(text: str, rev: str) -> Iterable[tuple[int, int, str]]:
    done = 0
    for m in _IPV6_TRIGGER_RE.finditer(text):
        if m.start() < done:
            continue
        start = m.start() - _left_extent(rev, m.start(), _IPV6_CHARS_RE)
        right = _IPV6_CHARS_RE.match(text, m.start())
        end = right.end() if right else m.end()
        while end > start and text[end - 1] == ".":
            end -= 1
        done = end
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if before.isalnum() or before in "_." or after.isalnum() or after == "_":
            continue
        raw = text[start:end]
        if raw.count(":") < 2 or not any(c.isdigit() for c in raw):
            continue
        value = _ip(raw)
        if value is not None and ":" in value:
            yield start, end, value


def _platform_handles(lowered: str) -> Iterable[re.Match[str]]:
    # The word boundary before the platform is checked here, not by a
    # look-behind, which would stop the regex engine from skipping ahead.
    pos = 0
    while (m := _PLATFORM_HANDLE_RE.search(lowered, pos)) is not None:
        start = m.start()
        if start and (lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
            pos = start + 1
            continue
        yield m
        pos = m.end()


def extract(text: str, *, region: str = "US") -> list[Extracted]:
    """Selectors found in free text, in order of appearance, one per (type, value).

    Types found: url, ip, email, phone, online_id. Offsets and `raw` refer to
    the text as given (defanged forms included). `region` reads national
    phone numbers. Linear-time scans only; never raises.
    """
    if not isinstance(text, str) or not text:
        return []
    try:
        return _extract(text, region)
    except Exception:  # pragma: no cover - a safety net; extraction is best effort
        return []


def _extract(original: str, region: str) -> list[Extracted]:
    text, offsets = _refang_with_map(original)
    rev = text[::-1]
    out = _Collector(original, offsets)
    claimed = _Spans()  # URLs and e-mails: their insides are not re-read as hosts/handles
    url_spans: list[tuple[int, int, str]] = []

    for start, end in _find_urls(text):
        value = _cached_url(text[start:end])
        if value is not None:
            out.add(URL, value, start, end)
            claimed.add(start, end)
            url_spans.append((start, end, value))

    for m in _find_emails(text, rev):
        value = _cached_email(m.group())
        if value is None:
            continue
        out.add(EMAIL, value, m.start(), m.end())  # inside a URL's query too
        if not claimed.overlaps(m.start(), m.end()):
            claimed.add(m.start(), m.end())

    known_tlds = _known_tlds()
    for start, tld_end, tld_raw in _find_hosts(text, rev):
        tld = tld_raw.lower()
        if tld not in known_tlds or claimed.overlaps(start, tld_end):
            continue
        tail = _HOST_TAIL_RE.match(text, tld_end)
        end = _trim_url(text, start, tail.end() if tail else tld_end)
        candidate = text[start:end]
        if tld != tld_raw and candidate.upper() != candidate:
            continue  # "said.Today": a missing space, not a host
        if (
            tld in _AMBIGUOUS_TLDS
            and "/" not in candidate
            and not candidate.lower().startswith("www.")
        ):
            continue
        value = _cached_url(candidate)
        if value is not None:
            out.add(URL, value, start, end)
            claimed.add(start, end)
            url_spans.append((start, end, value))

    ip_spans = _Spans()
    for m in _IPV4_TEXT_RE.finditer(text):
        value = _ipv4(m.group())
        if value is not None:
            out.add(IP, value, m.start(), m.end())
            ip_spans.add(m.start(), m.end())
    for start, end, value in _find_ipv6(text, rev):
        out.add(IP, value, start, end)
        ip_spans.add(start, end)

    candidates: set[str] = set()
    for m in _PHONE_CANDIDATE_RE.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        if digits < 7:
            continue
        candidates.add(m.group())
        if len(candidates) > _MAX_PHONE_CANDIDATES:
            break  # a data dump, not a narrative: phonenumbers costs ~0.3 ms a candidate
        for rel_start, rel_end, value in _phones_in(m.group(), region):
            start, end = m.start() + rel_start, m.start() + rel_end
            if not claimed.overlaps(start, end) and not ip_spans.overlaps(start, end):
                out.add(PHONE, value, start, end)

    for start, end, url in url_spans:
        profile = _profile_from_url(url)
        if profile:
            out.add(ONLINE_ID, profile, start, end)

    handle_spans = _Spans()
    for m in _platform_handles(text.translate(_ASCII_LOWER)):
        word = re.sub(r"[ \t]", "", m.group("platform"))
        handle = m.group("handle").rstrip(".-")
        if not handle or not (m.group("sep") or m.group("at") or m.group("kw")):
            continue
        if word in _WEAK_PLATFORM_WORDS and not (m.group("kw") or m.group("at")):
            continue
        if not m.group("at") and handle in _HANDLE_STOPWORDS:
            continue
        if (
            m.group("sep") in ("as", "(")
            and not m.group("at")
            and not _HANDLE_LIKE_RE.search(handle)
        ):
            continue  # "Snapchat as well", "Kik (rarely)": only handle-shaped words
        h_start = m.start("handle") - (1 if m.group("at") else 0)
        h_end = m.start("handle") + len(handle)
        if claimed.overlaps(h_start, h_end):
            continue
        value = _normalise_online_id(handle, fold_platform(word))
        if out.add(ONLINE_ID, value, h_start, h_end):
            handle_spans.add(h_start, h_end)

    for m in _GENERIC_HANDLE_RE.finditer(text.translate(_ASCII_LOWER)):
        handle = m.group("handle").rstrip(".-")
        h_start = m.start("handle") - (1 if m.group("at") else 0)
        h_end = m.start("handle") + len(handle)
        if handle in _HANDLE_STOPWORDS or handle in _PLATFORM_SET or len(handle) < 3:
            continue
        if claimed.overlaps(h_start, h_end) or handle_spans.overlaps(h_start, h_end):
            continue
        if out.add(ONLINE_ID, _normalise_online_id(handle, "unknown"), h_start, h_end):
            handle_spans.add(h_start, h_end)

    for m in _AT_HANDLE_RE.finditer(text):
        handle = m.group("h")
        if claimed.overlaps(m.start(), m.end()) or handle_spans.overlaps(m.start(), m.end()):
            continue
        if handle.isdigit() and len(handle) <= 2:
            continue  # "@5", "@10" are times and quantities
        out.add(ONLINE_ID, _normalise_online_id(handle, "unknown"), m.start(), m.end())

    out.items.sort(key=lambda e: (e.start, e.end, e.type))
    return out.items
