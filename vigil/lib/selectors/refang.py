"""Refanging: undo the usual defanging (hxxp, [.], [at]…), with a map back to the original offsets."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

# Each alternative starts with a bracket or an "h", so the scan skips ahead
# quickly and is linear. Case is spelt out: re.IGNORECASE defeats that skip.
_DEFANG_RE = re.compile(
    r"""[\[({][ \t]{0,2}
        (?:(?P<dot>\.|[dD][oO][tT])|(?P<at>@|[aA][tT])|(?P<colon>:(?://)?))
        [ \t]{0,2}[\])}]""",
    re.VERBOSE,
)
_DEFANG_SCHEME_RE = re.compile(r"[hH](?:[xX]{2}|\*\*)[pP](?P<s>[sS]?)(?=\[?:)")
# What every defanged token contains: a bracket (first pattern) or "xx"/"**" (hxxp, h**p).
# Text without any of them (most selectors and narratives) is returned as it is.
_MAYBE_DEFANGED_RE = re.compile(r"[\[({]|[xX][xX]|\*\*")
_MAX_PAD = 3  # spaces absorbed around "[.]" / "[at]": "name [at] example [dot] com"


def _maybe_defanged(text: str) -> bool:
    """_MAYBE_DEFANGED_RE.search(text) is not None, by substring tests first: every
    normaliser and every narrative asks, and the regex cannot skip ahead on its branches."""
    if "[" in text or "(" in text or "{" in text or "**" in text:
        return True
    return ("x" in text or "X" in text) and _MAYBE_DEFANGED_RE.search(text) is not None


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
    if not _maybe_defanged(text):
        return text, None
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
