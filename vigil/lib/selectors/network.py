"""Network selectors: hosts, IPs, domains, URLs, e-mail addresses and IP observations."""

from __future__ import annotations

import functools
import ipaddress
import re
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlsplit

import idna
import tldextract

from .refang import _refang_fully

# ---------------------------------------------------------------------------
# Hosts, IPs, domains
# ---------------------------------------------------------------------------

_LABEL_RE = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_IPV4_RE = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")
_IPV4_PORT_RE = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,3}){3}):([0-9]{1,5})")
_BRACKETED_RE = re.compile(r"\[([^\[\]]+)\](?::([0-9]{1,5}))?")
# An IPv4 address already in its normal form (octets 0-255, no leading zero), the shape
# nearly every IP a bulk import carries has: it is its own normal form, and nothing in it
# can be stripped, refanged, a port or a timestamp. Proved against the general paths in
# vigil/lib/tests/test_selector_fast_paths.py.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4_RE = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")


def _ipv4(text: str) -> str | None:
    """Dotted-quad IPv4 with leading zeros read as decimal ("010.001.002.003" → "10.1.2.3")."""
    if _CANONICAL_IPV4_RE.fullmatch(text):
        return text
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
    if _CANONICAL_IPV4_RE.fullmatch(raw):
        return raw
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

# Schemes read as URLs (by extraction, and by online_id normalisation).
_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "ws", "wss"})
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
# The common shape of an address: ASCII, no space, bracket, quote, ":" or second "@", so
# nothing to strip, refang, unquote or take off ("mailto:"), and a local part _LOCAL_RE
# takes once lower-cased. Proved against the general path in test_selector_fast_paths.py.
_PLAIN_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]+")


@functools.lru_cache(maxsize=4096)
def _email_domain(domain_raw: str) -> str | None:
    # Addresses are many, their domains few: each one is checked once.
    return _domain_name(_host(domain_raw, drop_www=False))


def _normalise_email(raw: str) -> str | None:
    if _PLAIN_EMAIL_RE.fullmatch(raw):
        local, domain_raw = raw.lower().split("@")
    else:
        text = _refang_fully(raw.strip()).strip().strip("<>\"'").strip()
        if text[:7].lower() == "mailto:":
            text = text[7:].split("?", 1)[0].strip()
        text = text.lower()
        if text.count("@") != 1:
            return None
        local, domain_raw = text.split("@")
        if not _LOCAL_RE.fullmatch(local):
            return None
    domain = _email_domain(domain_raw)
    if domain is None:
        return None
    if domain in _GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.split("+", 1)[0].replace(".", "")
        if not local:
            return None
    return f"{local}@{domain}"


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
    if _CANONICAL_IPV4_RE.fullmatch(text):
        return IPObservation(text, None, None)
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
