"""Rows: what a reader yields (TipRow, RowError), the summary, and a record's columns → a TipRow.

Readers turn a file into records (lower-cased column → text); `record_to_row`
validates one record and builds its `TipRow`. `protect` moves SSNs and card
numbers out of attributes into encrypted selectors whatever the reader.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from vigil.lib import countries
from vigil.tips import actions, columns
from vigil.tips.dates import parse_dob, parse_when
from vigil.tips.models import Tip
from vigil.tips.signals import ValuesNote

MAX_CELL = 10_000
MAX_NARRATIVE = actions.MAX_NARRATIVE
MAX_REJECTED_KEPT = 1_000

COLUMNS = (
    "reference",
    "received_at",
    "source",
    "narrative",
    "ip_address",
    "email",
    "online_id",
    "url",
    "phone",
    "suspect_name",
    "suspect_dob",
    "country",
)
_KNOWN = frozenset(COLUMNS)
_SELECTOR_COLUMNS = {
    "ip_address": "ip",
    "email": "email",
    "online_id": "online_id",
    "url": "url",
    "phone": "phone",
}


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, encoding, header, hostile XML)."""


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class TipRow:
    line: int
    reference: str
    narrative: str = ""
    source_name: str = ""
    received_at: dt.datetime | None = None
    country: str = ""
    selectors: list[actions.SelectorInput] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    via: str = Tip.Via.BULK


@dataclass
class Summary:
    format: str = ""
    rows_read: int = 0
    tips_created: int = 0
    tips_updated: int = 0
    tips_unchanged: int = 0
    selectors: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_count: int = 0
    flags: int = 0
    victim_sections_dropped: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def warn(self, message: str) -> None:
        """A warning names its line; at most MAX_REJECTED_KEPT are kept."""
        if len(self.warnings) < MAX_REJECTED_KEPT:
            self.warnings.append(message)

    def note(self, note: str | ValuesNote) -> None:
        """A listener's note (vigil/tips/signals.py): said once; a ValuesNote merges into
        the line of the same kind and tail an earlier batch gave."""
        if not isinstance(note, ValuesNote):
            if note not in self.warnings:
                self.warn(note)
            return
        # Not a field: not in as_dict() or a checkpoint (a resumed import starts new lines).
        grouped = self.__dict__.setdefault("_grouped", {})
        key = (note.kind, note.tail)
        if key in grouped:
            i, old = grouped[key]
            note = old.merged(note)
            grouped[key] = (i, note)
            self.warnings[i] = str(note)
        elif len(self.warnings) < MAX_REJECTED_KEPT:
            grouped[key] = (len(self.warnings), note)
            self.warnings.append(str(note))

    def reject(self, line: int, reason: str) -> None:
        """Kept in line order: a row the database refuses is known only when its batch is
        written, after the rows read since were checked (and found bad) on the way."""
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED_KEPT:
            bisect.insort(self.rejected, {"line": line, "reason": reason}, key=_line)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# A NUL character is valid UTF-8 and JSON, but no database text column holds it (PostgreSQL
# refuses it; SQLite kept it): the readers refuse its row, on both.
NUL_REASON = "the row holds a NUL character (\\u0000), which cannot be stored: remove it"


def _line(rejected: dict[str, Any]) -> int:
    return rejected["line"]


def _split(cell: str) -> list[str]:
    if not cell:
        return []
    if ";" not in cell:  # most cells hold one value
        cell = cell.strip()
        return [cell] if cell else []
    return [v for v in map(str.strip, cell.split(";")) if v]


def _ip_input(raw: str) -> actions.SelectorInput:
    """`203.0.113.5|2024-03-01T10:22:00Z`: an IP with its observation time."""
    addr, bar, when = raw.partition("|")
    addr = addr.strip()
    obs = actions.ip_observation(addr)
    if obs is None:
        raise ValidationError(f"ip_address: {addr[:60]!r} is not a valid IP address")
    seen = parse_when(when, column="ip_address time") if bar else None
    # type, raw, details, observed_at, port: by position (see record_to_row)
    return actions.SelectorInput("ip", addr, {}, seen or obs.seen_at, obs.port)


@dataclass(frozen=True)
class _Layout:
    """A record's columns sorted once per set of keys (a file's header), not once per row."""

    selectors: tuple[tuple[str, str], ...]  # (column, selector type), in _SELECTOR_COLUMNS order
    extra: tuple[tuple[str, str | None], ...]  # (column, "ssn"/"card"/None), in record order
    suspect: bool  # a suspect_name column


@functools.lru_cache(maxsize=256)  # a file has one header; a JSON file a few shapes of item
def _layout(keys: tuple[str, ...]) -> _Layout:
    present = set(keys)
    return _Layout(
        selectors=tuple((c, kind) for c, kind in _SELECTOR_COLUMNS.items() if c in present),
        extra=tuple(
            (key, columns.sensitive_kind(key))
            for key in keys
            # readers drop child columns first; never keep one
            if key not in _KNOWN and not columns.is_child_column(key)
        ),
        suspect="suspect_name" in present,
    )


def record_to_row(line: int, data: dict[str, str], *, default_via: str = Tip.Via.BULK) -> TipRow:
    """One CSV/XLSX/JSON record (lower-cased keys → text) as a TipRow, or ValidationError."""
    # No cell can be over its limit while all of them together are within the lower one.
    if sum(map(len, data.values())) > min(MAX_CELL, MAX_NARRATIVE):
        for key, value in data.items():
            limit = MAX_NARRATIVE if key == "narrative" else MAX_CELL
            if len(value) > limit:
                raise ValidationError(f"{key}: {len(value):,} characters (limit {limit:,})")
    get = data.get
    reference = get("reference", "").strip()
    if not reference:
        raise ValidationError("reference: required")
    if len(reference) > 200:
        raise ValidationError("reference: longer than 200 characters")
    layout = _layout(tuple(data))
    errors: list[str] = []
    try:
        received_at = parse_when(get("received_at", ""), column="received_at")
    except ValidationError as exc:
        errors.extend(exc.messages)
        received_at = None
    country = get("country", "").strip().upper()
    if country and not countries.is_country(country):
        errors.append(f"country: {country[:20]!r} is not an ISO 3166 country code")
    selectors: list[actions.SelectorInput] = []
    for column, kind in layout.selectors:
        if kind == "ip":
            for raw in _split(data[column]):
                try:
                    selectors.append(_ip_input(raw))
                except ValidationError as exc:
                    errors.extend(exc.messages)
        else:
            for raw in _split(data[column]):
                selectors.append(actions.SelectorInput(kind, raw))
    names = _split(data["suspect_name"]) if layout.suspect else []
    dob = get("suspect_dob", "")
    if dob:
        try:
            dob = parse_dob(dob)
        except ValidationError as exc:
            errors.extend(exc.messages)
            dob = ""
    if dob and not names:
        errors.append("suspect_dob: given without a suspect_name")
    for name in names:
        details = {"dob": dob} if dob and len(names) == 1 else {}
        selectors.append(actions.SelectorInput("person", name, details))
    attributes: dict[str, Any] = {}
    for key, kind in layout.extra:
        value = data[key].strip()
        if not value:
            continue
        if kind:  # SSN / card columns become encrypted selectors, never attributes
            selectors.extend(actions.SelectorInput(kind, raw) for raw in _split(value))
            continue
        attributes[key] = value
        selectors.append(actions.SelectorInput("attribute", value, {"key": key}))
    if errors:
        raise ValidationError(errors)
    # By position: a dataclass's __init__ takes keywords at twice the cost, once per row.
    return TipRow(
        line,
        reference,
        get("narrative", "").strip(),
        get("source", "").strip(),
        received_at,
        country,
        selectors,
        attributes,
        default_via,
    )


@dataclass(frozen=True)
class Header:
    """A file's header row: its column names, and which are read, worked out once per file."""

    names: list[str]  # stripped, lower case; "" for an unnamed column
    kept: tuple[tuple[int, str], ...]  # (index, name) of each named column that is not a child's
    child: tuple[int, ...]  # the indexes of child columns: dropped unread, counted
    plain: bool  # every column kept: a row's record is the names zipped with its cells
    unnamed: tuple[int, ...] = ()  # the indexes of columns the header leaves blank

    @classmethod
    def of(cls, names: list[str]) -> Header:
        child = tuple(i for i, n in enumerate(names) if n and columns.is_child_column(n))
        kept = tuple((i, n) for i, n in enumerate(names) if n and i not in child)
        unnamed = tuple(i for i, n in enumerate(names) if not n)
        return cls(names, kept, child, plain=len(kept) == len(names), unnamed=unnamed)


def header(cells: list[str], line: int) -> Header:
    names = [c.strip().lower() for c in cells]
    known = [n for n in names if n in COLUMNS]
    if not known:
        shown = ", ".join(repr(c[:30]) for c in cells[:4])
        raise ImportFileError(
            f"Missing header: line {line} must name the columns (reference, received_at, "
            f"source, narrative, …); it reads {shown}."
        )
    if "reference" not in names:
        raise ImportFileError(
            "The header has no 'reference' column; every tip needs the source's reference."
        )
    dupes = sorted({n for n in names if n and names.count(n) > 1})
    if dupes:
        raise ImportFileError(f"The header names column(s) {', '.join(dupes)} more than once.")
    return Header.of(names)


def apply_header(head: Header, cells: list[str], summary: Summary) -> dict[str, str]:
    """One row's cells (text, as both readers give them) as a record; cells past the names
    are not read, missing ones are absent."""
    if head.plain:
        return dict(zip(head.names, cells, strict=False))
    n = len(cells)
    # Counted like a CyberTipline victim section: one per row that had one.
    if any(cells[i].strip() for i in head.child if i < n):
        summary.victim_sections_dropped += 1
    return {name: cells[i] for i, name in head.kept if i < n}


def victim_columns(names: list[str], summary: Summary) -> None:
    dropped = [n for n in names if n and columns.is_child_column(n)]
    if dropped:
        summary.warnings.append(
            f"Column(s) {', '.join(dropped)} dropped unread: Vigil stores no information "
            "about a child, a victim or a complainant."
        )


def unnamed_value(head: Header, cells: list[str]) -> int | None:
    """The index of the first cell holding a value under a column the header leaves blank,
    or None. Such a value has nowhere to go: the readers refuse its row (unnamed_column)
    rather than drop it unsaid."""
    n = len(cells)
    return next((i for i in head.unnamed if i < n and cells[i].strip()), None)


def unnamed_column(line: int, column: str) -> RowError:
    return RowError(
        line,
        f"column {column} holds a value but the header gives the column no name: "
        "name it (or empty it) and import the row again",
    )


def to_row(line: int, data: dict[str, str]) -> TipRow | RowError:
    try:
        return record_to_row(line, data)
    except ValidationError as exc:
        return RowError(line, "; ".join(exc.messages))


def protect(row: TipRow) -> None:
    """SSNs and card numbers in attributes (any reader, any column) become encrypted selectors.

    An attribute selector whose value is one changes type; one holding one inside
    longer text keeps its text masked (vigil/tips/columns.py).
    """
    if not row.attributes and all(item.type != "attribute" for item in row.selectors):
        # Nothing to look at: the rebuild below would give an empty dict and the same
        # selectors (only attributes and attribute selectors are ever changed or added).
        return
    row.attributes, taken = columns.protect_attributes(row.attributes)
    items: list[actions.SelectorInput] = []
    for item in row.selectors:
        if item.type == "attribute":
            kind = columns.value_kind(item.raw)
            if kind:
                items.append(actions.SelectorInput(kind, item.raw))
                continue
            masked, found = columns.mask_text(item.raw)
            taken.extend(found)
            if masked != item.raw:
                item = actions.SelectorInput("attribute", masked, details=dict(item.details))
        items.append(item)
    items.extend(actions.SelectorInput(kind, raw) for kind, raw in taken)
    row.selectors = items
