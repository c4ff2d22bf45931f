"""`extract(text)`: the selectors found in free text (a tip narrative), defanged forms included."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers

from .handles import _normalise_online_id, _profile_from_url, fold_platform
from .network import (
    _AMBIGUOUS_TLDS,
    _SCHEMES,
    _ip,
    _ipv4,
    _known_tlds,
    _normalise_email,
    _normalise_url,
)
from .refang import _OffsetMap, _refang_with_map
from .types import EMAIL, IP, ONLINE_ID, PHONE, URL


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
# What the scans of _extract need in the (refanged) text to report anything: "://" (a
# URL), ":h:" or "::" (_IPV6_TRIGGER_RE), "@" (an e-mail, an @handle), "." and a letter
# (a host's TLD) or a digit (an IPv4); seven digits in a run of the phone candidate's
# characters (a candidate needs 7 digits); in the ASCII-lower-cased text "user", "screen"
# or "handle" (every generic-handle keyword holds one) or a platform word that is a whole
# run of letters (_platform_handles: no letter, digit or "_" before it, \b after it).
# Most of a bulk import's narratives hold none: they are answered [] without the scans.
# Proved equal to the scans in vigil/lib/tests/test_extract_gate.py.
_SIGNAL_RE = re.compile(r"://|:[0-9A-Fa-f]{0,4}:|@|\.[A-Za-z0-9]")
_DIGIT_RUN_RE = re.compile(r"[0-9][0-9 \t().\-/]{6,}")
# Bytes: A-Z lower-cased, a-z kept, every other byte a space ("?" stands for non-ASCII).
_LETTERS_ONLY = bytes(c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 else 32 for c in range(256))

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
_PLATFORM_BYTES = frozenset(w.encode() for w in _PLATFORM_WORDS)
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


def _may_hold_selectors(text: str) -> bool:
    """False only when no scan of _extract can report anything in `text` (refanged)."""
    if ("@" in text or ":" in text or "." in text) and _SIGNAL_RE.search(text) is not None:
        return True
    ascii_ = text.encode("ascii", "replace")  # one byte a character, "?" for the others
    if len(ascii_) - len(ascii_.translate(None, b"0123456789")) >= 7:
        for m in _DIGIT_RUN_RE.finditer(text):  # whole runs: one holds 7 digits or none does
            if sum(map(str.isdigit, m.group())) >= 7:
                return True
    words = ascii_.translate(_LETTERS_ONLY)  # the runs of letters, lower-cased
    if b"user" in words or b"screen" in words or b"handle" in words:
        return True
    return not _PLATFORM_BYTES.isdisjoint(words.split())


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
    if not _may_hold_selectors(text):
        return []
    return _scan(original, text, offsets, region)


def _scan(original: str, text: str, offsets: _OffsetMap | None, region: str) -> list[Extracted]:
    """Every scan over `text`, the refanged `original` (`offsets` maps it back)."""
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
