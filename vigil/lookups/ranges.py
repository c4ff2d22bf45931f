"""The offline range database: iptoasn `ip2asn` TSV in, ownership of IPs out.

Works air-gapped. Ranges are stored in the database (one row per range, start
and end as 32-digit zero-padded hex so text order is numeric order) and looked
up in memory: per source and address family, sorted arrays of starts and ends
(numpy uint32 for IPv4, Python ints for IPv6's 128 bits) searched by bisection.

Overlapping ranges (a more specific range inside a bigger one) are flattened
when the index is built: each address is answered by the smallest range that
covers it. The usual iptoasn file has no overlaps and skips that step.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import gzip
import heapq
import ipaddress
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vigil.lib import selectors as sel
from vigil.lookups.models import IPRange, RangeSource

BATCH = 5000
DEFAULT_SOURCE = "iptoasn"


class RangeFileError(Exception):
    """A file that cannot be loaded; the message names the line."""


@dataclass(frozen=True)
class ParsedRange:
    family: int
    start: int
    end: int
    asn: int | None
    country: str
    owner: str


def parse_ip(text: str) -> tuple[int, int, str] | None:
    """(family, integer, canonical text) of one IP, or None. Fast path for plain forms."""
    text = text.strip()
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"), text
    except OSError:
        pass
    if ":" in text and "%" not in text and "[" not in text:
        try:
            packed = socket.inet_pton(socket.AF_INET6, text)
        except OSError:
            packed = b""
        if packed and packed[:12] != _MAPPED:
            return 6, int.from_bytes(packed, "big"), socket.inet_ntop(socket.AF_INET6, packed)
    norm = sel.normalise("ip", text) if text else None
    if norm is None:
        return None
    addr = ipaddress.ip_address(norm)
    return addr.version, int(addr), addr.compressed


_MAPPED = b"\x00" * 10 + b"\xff\xff"


def to_text(family: int, value: int) -> str:
    if family == 4:
        return socket.inet_ntop(socket.AF_INET, value.to_bytes(4, "big"))
    return socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))


def parse_line(line: str, number: int) -> ParsedRange | None:
    """One TSV row; None for a blank or comment line; RangeFileError naming the line."""
    line = line.rstrip("\r\n")
    if not line.strip() or line.startswith("#"):
        return None
    cols = line.split("\t")
    if len(cols) < 3:
        raise RangeFileError(
            f"line {number}: expected 5 tab-separated columns (range start, range end, AS number, "
            f"country, AS description), found {len(cols)}"
        )
    cols += [""] * (5 - len(cols))
    start_text, end_text, asn_text, country, owner = (c.strip() for c in cols[:5])
    if len(cols) > 5:  # a description with a tab in it
        owner = "\t".join(cols[4:]).strip()
    start, end = parse_ip(start_text), parse_ip(end_text)
    if start is None:
        raise RangeFileError(f"line {number}: {start_text[:60]!r} is not an IP address")
    if end is None:
        raise RangeFileError(f"line {number}: {end_text[:60]!r} is not an IP address")
    if start[0] != end[0]:
        raise RangeFileError(f"line {number}: the range mixes IPv4 and IPv6")
    if end[1] < start[1]:
        raise RangeFileError(
            f"line {number}: the range ends ({end[2]}) before it starts ({start[2]})"
        )
    asn_text = asn_text.upper().removeprefix("AS")
    if not asn_text.isdigit() or int(asn_text) > 4294967295:
        raise RangeFileError(f"line {number}: {asn_text[:20]!r} is not an AS number")
    asn = int(asn_text) or None  # AS 0: not routed
    country = "" if country.lower() in {"none", "", "-"} else country.upper()[:8]
    if owner.lower() == "none":
        owner = ""
    return ParsedRange(start[0], start[1], end[1], asn, country, owner[:300])


def _open_text(path: Path) -> Iterator[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
            yield from fh
    else:
        with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
            yield from fh


def parse_file(path: Path) -> list[ParsedRange]:
    out = []
    try:
        for number, line in enumerate(_open_text(path), start=1):
            row = parse_line(line, number)
            if row is not None:
                out.append(row)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise RangeFileError(f"{path.name}: cannot be read ({exc})") from None
    if not out:
        raise RangeFileError(f"{path.name}: no ranges in the file")
    return out


# --- the in-memory index ------------------------------------------------------------


def _flatten(
    starts: list[int], ends: list[int], rows: list[int]
) -> tuple[list[int], list[int], list[int]]:
    """Disjoint segments, each owned by the smallest covering range (sorted by start)."""
    order = sorted(range(len(starts)), key=lambda i: (starts[i], -ends[i]))
    out_s: list[int] = []
    out_e: list[int] = []
    out_r: list[int] = []
    active: list[tuple[int, int, int]] = []  # (size, end, index) min-heap: smallest first

    def emit(lo: int, hi: int) -> None:
        while active and active[0][1] < lo:
            heapq.heappop(active)
        if not active or lo > hi:
            return
        idx = active[0][2]
        if out_e and out_r[-1] == idx and out_e[-1] + 1 == lo:
            out_e[-1] = hi
        else:
            out_s.append(lo)
            out_e.append(hi)
            out_r.append(idx)

    # Boundaries: every start, and every end + 1.
    cursor: int | None = None
    events = sorted({starts[i] for i in order} | {ends[i] + 1 for i in order})
    pos = 0
    for point in events:
        if cursor is not None and cursor <= point - 1:
            emit(cursor, point - 1)
        while pos < len(order) and starts[order[pos]] == point:
            i = order[pos]
            heapq.heappush(active, (ends[i] - starts[i], ends[i], i))
            pos += 1
        while active and active[0][1] < point:
            heapq.heappop(active)
        cursor = point
    return out_s, out_e, [rows[i] for i in out_r]


class _Family:
    """Sorted disjoint segments of one family: starts, ends, and the row each came from."""

    def __init__(self, family: int, starts: list[int], ends: list[int], rows: list[int]) -> None:
        order = sorted(range(len(starts)), key=lambda i: starts[i])
        starts = [starts[i] for i in order]
        ends = [ends[i] for i in order]
        rows = [rows[i] for i in order]
        if any(starts[i + 1] <= ends[i] for i in range(len(starts) - 1)):
            starts, ends, rows = _flatten(starts, ends, rows)
        self.family = family
        self.rows = np.asarray(rows, dtype=np.int64)
        if family == 4:
            self.np_starts = np.asarray(starts, dtype=np.uint64)
            self.np_ends = np.asarray(ends, dtype=np.uint64)
        self.starts = starts
        self.ends = ends

    def find(self, value: int) -> int | None:
        i = bisect.bisect_right(self.starts, value) - 1
        if i >= 0 and self.ends[i] >= value:
            return int(self.rows[i])
        return None

    def find_many_v4(self, values: np.ndarray) -> np.ndarray:
        """Row index per value (-1 where nothing covers it), vectorised."""
        if not len(self.starts):
            return np.full(len(values), -1, dtype=np.int64)
        idx = np.searchsorted(self.np_starts, values, side="right") - 1
        safe = np.clip(idx, 0, None)
        hit = (idx >= 0) & (self.np_ends[safe] >= values)
        return np.where(hit, self.rows[safe], -1)


@dataclass
class SourceIndex:
    name: str
    as_of: dt.datetime | None
    generation: int
    v4: _Family
    v6: _Family
    asn: list[int | None]
    country: list[str]
    owner: list[str]
    range_start: list[int]
    range_end: list[int]
    family: list[int]
    templates: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def as_of_text(self) -> str | None:
        return self.as_of.date().isoformat() if self.as_of else None


_lock = threading.Lock()
_cache: dict[int, SourceIndex] = {}


def invalidate() -> None:
    with _lock:
        _cache.clear()


def _build(src: Any) -> SourceIndex:
    asn: list[int | None] = []
    country: list[str] = []
    owner: list[str] = []
    rs: list[int] = []
    re_: list[int] = []
    fam: list[int] = []
    per: dict[int, tuple[list[int], list[int], list[int]]] = {4: ([], [], []), 6: ([], [], [])}
    qs = IPRange.objects.filter(source=src).values_list(
        "family", "start", "end", "asn", "country", "owner"
    )
    for n, (f, s, e, a, c, o) in enumerate(qs.iterator(chunk_size=20000)):
        si, ei = int(s, 16), int(e, 16)
        asn.append(a)
        country.append(c)
        owner.append(o)
        rs.append(si)
        re_.append(ei)
        fam.append(f)
        bucket = per[f]
        bucket[0].append(si)
        bucket[1].append(ei)
        bucket[2].append(n)
    return SourceIndex(
        src.name,
        src.as_of,
        src.generation,
        _Family(4, *per[4]),
        _Family(6, *per[6]),
        asn,
        country,
        owner,
        rs,
        re_,
        fam,
    )


def indexes() -> list[SourceIndex]:
    """One index per loaded source (newest data first), rebuilt when a source was reloaded."""
    current = list(RangeSource.objects.filter(row_count__gt=0).order_by("-as_of", "name"))
    out = []
    with _lock:
        for gone in set(_cache) - {s.pk for s in current}:
            del _cache[gone]
        for src in current:
            idx = _cache.get(src.pk)
            if idx is None or idx.generation != src.generation:
                idx = _cache[src.pk] = _build(src)
            out.append(idx)
    return out


EMPTY = {
    "asn": None,
    "country": None,
    "owner": None,
    "range_start": None,
    "range_end": None,
    "source": None,
    "as_of": None,
}


def _template(idx: SourceIndex, row: int) -> dict[str, Any]:
    f = idx.family[row]
    return {
        "ip": None,
        "asn": idx.asn[row],
        "country": idx.country[row] or None,
        "owner": idx.owner[row] or None,
        "range_start": to_text(f, idx.range_start[row]),
        "range_end": to_text(f, idx.range_end[row]),
        "source": idx.name,
        "as_of": idx.as_of_text,
    }


def _result(ip: str, idx: SourceIndex, row: int) -> dict[str, Any]:
    # One template per range, copied per IP: a C-level copy keeps "ip" the first key.
    tpl = idx.templates.get(row)
    if tpl is None:
        tpl = idx.templates[row] = _template(idx, row)
    out = tpl.copy()
    out["ip"] = ip
    return out


class BadIP(ValueError):
    def __init__(self, bad: list[tuple[int, str]]) -> None:
        self.bad = bad
        shown = ", ".join(f"#{n} {text[:60]!r}" for n, text in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        super().__init__(f"not an IP address: {shown}{more}")


def lookup_many(ips: Iterable[str]) -> list[dict[str, Any]]:
    """One result per input, in order. Raises BadIP (naming each by position) for invalid ones.

    With several sources the smallest covering range wins (the newest source on a tie).
    Plain dotted quads take a vectorised path (parse with inet_pton, search with numpy).
    """
    # A million result dicts would trigger the cyclic collector over and over (they hold
    # no cycles): pause it while they are built.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lookup_many(ips)
    finally:
        if enabled:
            gc.enable()


def _lookup_many(ips: Iterable[str]) -> list[dict[str, Any]]:
    texts = list(ips)
    n = len(texts)
    pton, af4 = socket.inet_pton, socket.AF_INET
    packed: list[bytes] = []
    slow: list[int] = []
    zero = bytes(4)
    for i, text in enumerate(texts):
        try:
            packed.append(pton(af4, text))
        except (OSError, TypeError):
            packed.append(zero)
            slow.append(i)
    v4_vals = np.frombuffer(b"".join(packed), dtype=">u4").astype(np.uint64)
    is_v4 = np.ones(n, dtype=bool)
    canon = texts
    v6: list[tuple[int, int]] = []  # (position, value)
    bad: list[tuple[int, str]] = []
    if slow:
        canon = list(texts)
        for i in slow:
            p = parse_ip(str(texts[i]))
            if p is None:
                bad.append((i + 1, str(texts[i])))
                is_v4[i] = False
            elif p[0] == 4:
                v4_vals[i] = p[1]
                canon[i] = p[2]
            else:
                is_v4[i] = False
                v6.append((i, p[1]))
                canon[i] = p[2]
    if bad:
        raise BadIP(bad)
    v4_pos = np.flatnonzero(is_v4)
    v4_query = v4_vals[v4_pos]
    best: list[tuple[SourceIndex, int] | None] = [None] * n
    idxs = indexes()
    for idx in idxs:
        hits = idx.v4.find_many_v4(v4_query) if len(v4_pos) else np.empty(0, dtype=np.int64)
        found = hits >= 0
        pos_list = v4_pos[found].tolist()
        row_list = hits[found].tolist()
        if len(idxs) == 1:
            for pos, row in zip(pos_list, row_list, strict=True):
                best[pos] = (idx, row)
        else:
            for pos, row in zip(pos_list, row_list, strict=True):
                _keep_best(best, pos, idx, row)
        for pos, value in v6:
            row6 = idx.v6.find(value)
            if row6 is not None:
                _keep_best(best, pos, idx, row6)
    return [
        _result(ip, *b) if b is not None else {"ip": ip, **EMPTY}
        for ip, b in zip(canon, best, strict=True)
    ]


def _keep_best(
    best: list[tuple[SourceIndex, int] | None], pos: int, idx: SourceIndex, row: int
) -> None:
    old = best[pos]
    if old is None:
        best[pos] = (idx, row)
        return
    o_idx, o_row = old
    if (
        idx.range_end[row] - idx.range_start[row]
        < o_idx.range_end[o_row] - o_idx.range_start[o_row]
    ):
        best[pos] = (idx, row)


def lookup(ip: str) -> dict[str, Any]:
    return lookup_many([ip])[0]
