"""Bulk import of tips: CSV, XLSX, JSON, IP lists and NCMEC CyberTipline report XML.

Readers stream their file and yield `TipRow`s (or `RowError`s); `Importer`
writes them in batches. Guarantees:

- A row that fails never stops the others and never leaves half a tip: rows are
  validated before any write, each batch is one transaction, and a batch that
  fails at the database is replayed row by row, each in its own transaction.
- Source + reference identify a tip: re-importing creates nothing new; a row
  that differs from the stored tip updates it (audited), otherwise it counts
  as unchanged.
- Memory is bounded by the batch size, never by the file size.

Decisions (see docs/tips.md):
- Encoding: UTF-8 (a BOM is fine). If the first megabyte is not UTF-8 the file
  is refused as a whole with a clear message; an undecodable line further on
  rejects just the rows on it.
- XLSX formulas are never evaluated: a row with a formula cell is rejected
  (the message names the cell), text that merely starts with "=" is kept.
- A CyberTipline `<victim>` (and `<intendedRecipient>`) section is dropped
  unread; the summary counts it. A value in a report that does not parse is
  kept in the tip's attributes rather than losing the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import diff, record
from vigil.audit.models import Outcome
from vigil.lib import selectors as sel
from vigil.tips import actions, columns, search
from vigil.tips.actions.common import label
from vigil.tips.models import Selector, Source, Tip

FORMATS = ("csv", "xlsx", "json", "iplist", "cybertipline")
MAX_CELL = 10_000
MAX_NARRATIVE = 100_000
MAX_REJECTED_KEPT = 1_000
BATCH = 1000
SNIFF_BYTES = 1024 * 1024

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
_SELECTOR_COLUMNS = {
    "ip_address": "ip",
    "email": "email",
    "online_id": "online_id",
    "url": "url",
    "phone": "phone",
}

csv.field_size_limit(1_000_000)


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

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED_KEPT:
            self.rejected.append({"line": line, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- small parsers ---------------------------------------------------------------------


def parse_when(text: str, *, column: str) -> dt.datetime | None:
    """ISO 8601 date or date-time; naive means UTC. Blank gives None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{column}: {text[:40]!r} is not a date (use ISO 8601, e.g. 2024-03-01T10:22:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value.year < 1970:
        raise ValidationError(f"{column}: {text[:40]!r} is before 1970")
    if value > timezone.now() + dt.timedelta(days=1):
        raise ValidationError(f"{column}: {text[:40]!r} is in the future")
    return value


def _parse_dob(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValidationError(
            f"suspect_dob: {text[:40]!r} is not a date (use YYYY-MM-DD)"
        ) from None


def _split(cell: str) -> list[str]:
    return [v.strip() for v in (cell or "").split(";") if v.strip()]


def _ip_input(raw: str) -> actions.SelectorInput:
    """`203.0.113.5|2024-03-01T10:22:00Z`: an IP with its observation time."""
    addr, bar, when = raw.partition("|")
    obs = actions.ip_observation(addr.strip())
    if obs is None:
        raise ValidationError(f"ip_address: {addr.strip()[:60]!r} is not a valid IP address")
    seen = parse_when(when, column="ip_address time") if bar else None
    return actions.SelectorInput("ip", addr.strip(), observed_at=seen or obs.seen_at, port=obs.port)


def record_to_row(line: int, data: dict[str, str], *, default_via: str = Tip.Via.BULK) -> TipRow:
    """One CSV/XLSX/JSON record (lower-cased keys → text) as a TipRow, or ValidationError."""
    for key, value in data.items():
        limit = MAX_NARRATIVE if key == "narrative" else MAX_CELL
        if len(value) > limit:
            raise ValidationError(f"{key}: {len(value):,} characters (limit {limit:,})")
    reference = data.get("reference", "").strip()
    if not reference:
        raise ValidationError("reference: required")
    if len(reference) > 200:
        raise ValidationError("reference: longer than 200 characters")
    errors: list[str] = []
    row = TipRow(
        line=line,
        reference=reference,
        narrative=data.get("narrative", "").strip(),
        source_name=data.get("source", "").strip(),
        country=data.get("country", "").strip().upper(),
        via=default_via,
    )
    try:
        row.received_at = parse_when(data.get("received_at", ""), column="received_at")
    except ValidationError as exc:
        errors.extend(exc.messages)
    if row.country and not re.fullmatch(r"[A-Z]{2}", row.country):
        errors.append(f"country: {row.country[:20]!r} is not a two-letter ISO 3166 code")
    for column, kind in _SELECTOR_COLUMNS.items():
        for raw in _split(data.get(column, "")):
            try:
                if kind == "ip":
                    row.selectors.append(_ip_input(raw))
                else:
                    row.selectors.append(actions.SelectorInput(kind, raw))
            except ValidationError as exc:
                errors.extend(exc.messages)
    names = _split(data.get("suspect_name", ""))
    try:
        dob = _parse_dob(data.get("suspect_dob", ""))
    except ValidationError as exc:
        errors.extend(exc.messages)
        dob = ""
    if dob and not names:
        errors.append("suspect_dob: given without a suspect_name")
    for name in names:
        row.selectors.append(
            actions.SelectorInput(
                "person", name, details={"dob": dob} if dob and len(names) == 1 else {}
            )
        )
    for key, value in data.items():
        if key in COLUMNS or not value.strip():
            continue
        if columns.is_child_column(key):  # readers drop these first; never keep one
            continue
        kind = columns.sensitive_kind(key)
        if kind:  # SSN / card columns become encrypted selectors, never attributes
            row.selectors.extend(actions.SelectorInput(kind, raw) for raw in _split(value))
            continue
        row.attributes[key] = value.strip()
        row.selectors.append(
            actions.SelectorInput("attribute", value.strip(), details={"key": key})
        )
    if errors:
        raise ValidationError(errors)
    return row


# --- readers ---------------------------------------------------------------------------


class Counting(io.RawIOBase):
    """Wraps a binary file and counts bytes read (for progress)."""

    def __init__(self, fh: IO[bytes]):
        self.fh, self.count = fh, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.fh.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        return n


def _check_utf8(head: bytes) -> None:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4 and exc.reason == "unexpected end of data":
            return  # a character cut by the sniff window
        line = head.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (byte 0x{head[exc.start]:02X} on line {line}). "
            "Save it as 'CSV UTF-8' (or UTF-8 text) and import again; nothing was imported."
        ) from None


def _lines(binary: IO[bytes], bad: set[int]) -> Iterator[str]:
    """Decoded lines; an undecodable line is noted in `bad` and yielded with replacements."""
    for n, raw in enumerate(binary, 1):
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.add(n)
            yield raw.decode("utf-8", "replace")


def _header(cells: list[str], line: int) -> list[str]:
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
    return names


def _apply_header(names: list[str], cells: list[str], summary: Summary) -> dict[str, str]:
    data = {}
    dropped = False
    for name, cell in zip(names, cells, strict=False):
        if not name:
            continue
        if columns.is_child_column(name):
            # Counted like a CyberTipline victim section: one per row that had one.
            dropped = dropped or bool(str(cell or "").strip())
            continue
        data[name] = cell if isinstance(cell, str) else str(cell)
    if dropped:
        summary.victim_sections_dropped += 1
    return data


def _victim_columns(names: list[str], summary: Summary) -> None:
    dropped = [n for n in names if n and columns.is_child_column(n)]
    if dropped:
        summary.warnings.append(
            f"Column(s) {', '.join(dropped)} dropped unread: Vigil stores no information "
            "about a child, a victim or a complainant."
        )


def read_csv(binary: IO[bytes], summary: Summary) -> Iterator[TipRow | RowError]:
    head = binary.read(SNIFF_BYTES)
    _check_utf8(head.removeprefix(b"\xef\xbb\xbf"))
    stream = io.BufferedReader(_Chain(head, binary))  # type: ignore[arg-type]
    bad: set[int] = set()
    reader = csv.reader(_lines(stream, bad))
    names: list[str] | None = None
    last = 0
    while True:
        start = last + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            last = reader.line_num
            yield RowError(start, f"unreadable CSV ({exc})")
            continue
        last = reader.line_num
        if names is None:
            if not any(c.strip() for c in cells):
                continue
            names = _header(cells, start)
            _victim_columns(names, summary)
            continue
        if not any(c.strip() for c in cells):
            continue
        if any(n in bad for n in range(start, last + 1)):
            bad.difference_update(range(start, last + 1))
            yield RowError(start, "not valid UTF-8 text; save the file as UTF-8")
            continue
        if len(cells) > len(names):
            yield RowError(start, f"{len(cells)} cells but the header names {len(names)} columns")
            continue
        yield _to_row(start, _apply_header(names, cells, summary))
    if names is None:
        raise ImportFileError("The file is empty: no header and no rows.")


class _Chain(io.RawIOBase):
    """The sniffed head followed by the rest of the file."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.head:
            n = min(len(b), len(self.head))
            b[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(b))
        b[: len(data)] = data
        return len(data)


def _to_row(line: int, data: dict[str, str]) -> TipRow | RowError:
    try:
        return record_to_row(line, data)
    except ValidationError as exc:
        return RowError(line, "; ".join(exc.messages))


def _xlsx_text(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(binary: IO[bytes], summary: Summary) -> Iterator[TipRow | RowError]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(binary, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"Not an XLSX workbook ({exc.__class__.__name__}).") from None
    try:
        ws = wb.worksheets[0]
        names: list[str] | None = None
        for line, cells in enumerate(ws.iter_rows(), start=ws.min_row or 1):
            if names is None:
                texts = [_xlsx_text(c) for c in cells]
                if not any(t.strip() for t in texts):
                    continue
                names = _header(texts, line)
                _victim_columns(names, summary)
                continue
            formulas = [c for c in cells[: len(names)] if getattr(c, "data_type", "") == "f"]
            if formulas:
                c = formulas[0]
                yield RowError(
                    line,
                    f"cell {c.coordinate} holds a formula ({str(c.value)[:40]}); formulas are not "
                    "evaluated: paste the values instead",
                )
                continue
            texts = [_xlsx_text(c) for c in cells]
            if not any(t.strip() for t in texts):
                continue
            if any(t.strip() for t in texts[len(names) :]):
                yield RowError(line, f"cells beyond the {len(names)} named columns")
                continue
            yield _to_row(line, _apply_header(names, texts, summary))
        if names is None:
            raise ImportFileError("The workbook's first sheet is empty: no header and no rows.")
    finally:
        wb.close()


def read_json(binary: IO[bytes], summary: Summary) -> Iterator[TipRow | RowError]:
    """A JSON list of objects, decoded one object at a time."""
    head = binary.read(SNIFF_BYTES)
    _check_utf8(head.removeprefix(b"\xef\xbb\xbf"))
    text = io.TextIOWrapper(
        io.BufferedReader(_Chain(head, binary)), encoding="utf-8-sig", errors="strict"
    )  # type: ignore[arg-type]
    decoder = json.JSONDecoder()
    dropped_names: set[str] = set()
    buf, pos, line, eof = "", 0, 1, False
    chunk = 65536

    def more() -> bool:
        nonlocal buf, pos, eof, chunk
        if eof:
            return False
        try:
            data = text.read(chunk)
        except UnicodeDecodeError:
            raise ImportFileError(f"The file is not UTF-8 text after line {line}.") from None
        if not data:
            eof = True
            return False
        buf = buf[pos:] + data
        pos = 0
        return True

    def skip_ws() -> None:
        nonlocal pos, line
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                if buf[pos] == "\n":
                    line += 1
                pos += 1
            if pos < len(buf) or not more():
                return

    skip_ws()
    if pos >= len(buf) or buf[pos] != "[":
        raise ImportFileError(
            "JSON import expects a list of objects: the file must start with '['."
        )
    pos += 1
    index = 0
    while True:
        skip_ws()
        if pos >= len(buf):
            raise ImportFileError(f"The JSON list is not closed (line {line}).")
        if buf[pos] == "]":
            break
        if index and buf[pos] == ",":
            pos += 1
            skip_ws()
        elif index:
            raise ImportFileError(f"JSON syntax error on line {line}: expected ',' or ']'.")
        while True:
            try:
                obj, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError as exc:
                if len(buf) - pos > 50 * 1024 * 1024:
                    raise ImportFileError(
                        f"JSON item on line {line} is larger than 50 MB."
                    ) from None
                chunk = min(chunk * 2, 8 * 1024 * 1024)
                if not more():
                    raise ImportFileError(
                        f"JSON syntax error on line {line + buf.count(chr(10), pos, exc.pos)}: {exc.msg}."
                    ) from None
        index += 1
        start_line = line
        line += buf.count("\n", pos, end)
        pos = end
        if not isinstance(obj, dict):
            yield RowError(start_line, f"item {index} is not an object")
            continue
        data: dict[str, str] = {}
        bad = ""
        dropped = False
        for key, value in obj.items():
            name = str(key).strip().lower()
            if columns.is_child_column(name):
                dropped, dropped_names = True, dropped_names | {name}
                continue
            if value is None:
                value = ""
            elif isinstance(value, list):
                if not all(isinstance(v, (str, int, float)) for v in value):
                    bad = f"{name}: a list of plain values is expected"
                value = ";".join(str(v) for v in value)
            elif isinstance(value, (dict, bool)):
                bad = f"{name}: a text value is expected"
            data[name] = str(value)
        if dropped:
            summary.victim_sections_dropped += 1
        if bad:
            yield RowError(start_line, bad)
            continue
        yield _to_row(start_line, data)
    if dropped_names:
        summary.warnings.append(
            f"Field(s) {', '.join(sorted(dropped_names))} dropped unread: Vigil stores no "
            "information about a child, a victim or a complainant."
        )


def read_iplist(
    binary: IO[bytes], summary: Summary, *, note: str = ""
) -> Iterator[TipRow | RowError]:
    """One IP per line, optionally `,timestamp`; blank lines and `#` comments are skipped."""
    head = binary.read(SNIFF_BYTES)
    _check_utf8(head.removeprefix(b"\xef\xbb\xbf"))
    stream = io.BufferedReader(_Chain(head, binary))  # type: ignore[arg-type]
    bad: set[int] = set()
    for n, text in enumerate(_lines(stream, bad), 1):
        if n in bad:
            bad.discard(n)
            yield RowError(n, "not valid UTF-8 text")
            continue
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        if len(text) > 200:
            yield RowError(
                n, f"line is {len(text)} characters long; expected an IP and a timestamp"
            )
            continue
        addr, comma, when = text.partition(",")
        obs = sel.parse_ip_observation(addr.strip())
        if obs is None:
            yield RowError(n, f"{addr.strip()[:60]!r} is not a valid IP address")
            continue
        try:
            seen = parse_when(when, column="timestamp") if comma else None
        except ValidationError as exc:
            yield RowError(n, exc.messages[0])
            continue
        reference = (
            obs.ip + (f":{obs.port}" if obs.port else "") + (f"|{seen.isoformat()}" if seen else "")
        )
        yield TipRow(
            line=n,
            reference=reference,
            narrative=note,
            received_at=None,
            selectors=[actions.SelectorInput("ip", addr.strip(), observed_at=seen, port=obs.port)],
        )


# --- CyberTipline -----------------------------------------------------------------------

_DROPPED = {"victim", "intendedrecipient"}
_SKIPPED = {"reporter", "lawenforcement"}


def _tag(elem: Any) -> str:
    tag = elem.tag if isinstance(elem.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _text(elem: Any, name: str) -> str:
    for child in elem:
        if _tag(child).lower() == name.lower():
            return (child.text or "").strip()
    return ""


def _dropped_tag(name: str) -> bool:
    """A `<victim>`, `<intendedRecipient>` or any element that names a child: dropped unread."""
    return name in _DROPPED or columns.is_child_column(name)


def _walk(elem: Any, context: dict[str, str]) -> Iterator[tuple[Any, dict[str, str]]]:
    for child in elem:
        name = _tag(child).lower()
        if name in _SKIPPED or _dropped_tag(name):
            continue
        ctx = context
        if name == "personoruserreported":
            ctx = {**context, "platform": _text(child, "espService") or context.get("platform", "")}
        yield child, ctx
        yield from _walk(child, ctx)


def _report_to_row(report: Any, index: int) -> TipRow:
    summary_el = next((c for c in report if _tag(c).lower() == "incidentsummary"), None)
    reference = ""
    for child, _ in _walk(report, {}):
        if _tag(child).lower() == "reportid" and (child.text or "").strip():
            reference = child.text.strip()
            break
    reference = reference or report.get("id", "") or report.get("reportId", "")
    if not reference:
        from xml.etree.ElementTree import tostring

        reference = "sha256:" + hashlib.sha256(tostring(report)).hexdigest()[:24]
    row = TipRow(line=index, reference=reference[:200], via=Tip.Via.PARTNER_FEED)
    lines = [
        "NCMEC CyberTipline report"
        + (f" {reference}" if not reference.startswith("sha256:") else "")
    ]
    if summary_el is not None:
        kind = _text(summary_el, "incidentType")
        if kind:
            lines.append(f"Incident type: {kind}")
        annotations = next((c for c in summary_el if _tag(c).lower() == "reportannotations"), None)
        if annotations is not None and len(annotations):
            lines.append("Annotations: " + ", ".join(_tag(a) for a in annotations))
        when = _text(summary_el, "incidentDateTime")
        if when:
            try:
                row.received_at = parse_when(when, column="incidentDateTime")
            except ValidationError:
                row.attributes["incidentDateTime"] = when
            lines.append(f"Incident date: {when}")
    row.narrative = "\n".join(lines)
    unparsed: list[str] = []

    def add(kind: str, raw: str, **kw: Any) -> None:
        raw = (raw or "").strip()
        if raw:
            row.selectors.append(actions.SelectorInput(kind, raw[:1000], **kw))

    for elem, ctx in _walk(report, {}):
        name = _tag(elem).lower()
        text = (elem.text or "").strip()
        if name in {"url", "profileurl"}:
            add("url", text)
        elif name in {"email", "emailaddress"}:
            add("email", text)
        elif name == "phone":
            cc = elem.get("countryCallingCode", "").strip().lstrip("+")
            add("phone", f"+{cc} {text}" if cc and not text.startswith("+") else text)
        elif name == "screenname":
            add("online_id", text, platform=(ctx.get("platform") or "unknown").lower())
        elif name == "ipcaptureevent":
            ip = _text(elem, "ipAddress")
            when = _text(elem, "dateTime")
            port = _text(elem, "port")
            seen = None
            try:
                seen = parse_when(when, column="dateTime") if when else None
            except ValidationError:
                unparsed.append(f"ip capture time {when}")
            add(
                "ip",
                ip,
                observed_at=seen,
                port=int(port) if port.isdigit() and int(port) < 65536 else None,
            )
        elif name == "ipaddress" and _tag(elem) and not _is_in_capture(report, elem):
            add("ip", text)
        elif name == "personoruserreportedperson":
            full = " ".join(p for p in (_text(elem, "firstName"), _text(elem, "lastName")) if p)
            dob = _text(elem, "dateOfBirth")
            if full:
                add("person", full, details={"dob": dob} if dob else {})
        elif name == "address" and len(elem):
            parts = [(c.text or "").strip() for c in elem if (c.text or "").strip()]
            add("address", ", ".join(parts))
        elif name.endswith("hash") and re.fullmatch(r"[0-9a-fA-F]{32,64}", text):
            add("file_hash", text, details={"algorithm": (elem.get("hashType") or "").lower()})
        elif columns.sensitive_kind(name) and text:
            add(columns.sensitive_kind(name) or "", text)
    # Keep what does not parse rather than lose the report.
    good = []
    for item in row.selectors:
        try:
            actions.build_selector(Tip(country=""), item)
            good.append(item)
        except ValidationError:
            if item.type in actions.HASHED_TYPES:  # never keep a near-SSN in clear
                unparsed.append(f"{item.type}: a value that is not valid (not kept)")
            else:
                unparsed.append(f"{item.type}: {item.raw[:100]}")
    row.selectors = good
    if unparsed:
        row.attributes["unparsed"] = unparsed
    return row


def _is_in_capture(report: Any, elem: Any) -> bool:
    for capture in report.iter():
        if _tag(capture).lower() == "ipcaptureevent" and elem in list(capture):
            return True
    return False


def read_cybertipline(binary: IO[bytes], summary: Summary) -> Iterator[TipRow | RowError]:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    index = 0
    depth_dropped = 0
    root = None
    try:
        for event, elem in iterparse(binary, events=("start", "end"), forbid_dtd=True):
            name = _tag(elem).lower()
            if event == "start":
                if root is None:
                    root = elem
                if _dropped_tag(name):
                    depth_dropped += 1
                continue
            if _dropped_tag(name):
                depth_dropped -= 1
                elem.clear()
                if depth_dropped == 0:  # a section nested in another counts once
                    summary.victim_sections_dropped += 1
                continue
            if name == "report" and depth_dropped == 0:
                index += 1
                try:
                    yield _report_to_row(elem, index)
                except ValidationError as exc:
                    yield RowError(index, "; ".join(exc.messages))
                elem.clear()
                if root is not None and root is not elem:
                    root.clear()
    except DefusedXmlException as exc:
        raise ImportFileError(
            f"The XML declares a DTD or entities ({exc.__class__.__name__}); such files are refused "
            "(they can expand without bound, e.g. a 'billion laughs' attack)."
        ) from None
    except ParseError as exc:
        raise ImportFileError(f"The XML is not well-formed: {exc}.") from None
    if index == 0:
        raise ImportFileError("No <report> element found: not a CyberTipline report file.")
    if summary.victim_sections_dropped:
        summary.warnings.append(
            f"{summary.victim_sections_dropped} victim / intended-recipient section(s) dropped unread: "
            "Vigil stores no victim information."
        )


def detect_format(path: str | Path, head: bytes) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in {".xlsx", ".xlsm"} or head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if suffix == ".xml" or head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return "cybertipline"
    if suffix == ".json" or head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"["):
        return "json"
    if suffix in {".txt", ".ips", ".lst"}:
        return "iplist"
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    if "," not in first or sel.parse_ip_observation(first.split(",")[0]) is not None:
        return "iplist"
    return "csv"


# --- the importer -----------------------------------------------------------------------


@dataclass
class _Prepared:
    row: TipRow
    source: Source
    tip: Tip
    selectors: list[Selector]


def _protect(row: TipRow) -> None:
    """SSNs and card numbers in attributes (any reader, any column) become encrypted selectors.

    An attribute selector whose value is one changes type; one holding one inside
    longer text keeps its text masked (vigil/tips/columns.py).
    """
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


class Importer:
    def __init__(
        self,
        *,
        actor: Any,
        source: Source | None = None,
        batch_size: int = BATCH,
        progress: Callable[[int], None] | None = None,
        checkpoint: Callable[[dict[str, Any]], None] | None = None,
        resume: dict[str, Any] | None = None,
    ):
        access.require(access.can_create(actor))
        self.actor = actor
        self.default_source = source
        self.batch_size = batch_size
        self.progress = progress
        self.checkpoint = checkpoint
        self.summary = Summary()
        # Resuming after a lost worker: the summary as of the last committed batch;
        # that many records of the file are skipped (re-reading them would be
        # idempotent anyway, but would count created tips as unchanged).
        self._skip = 0
        if resume:
            known = set(Summary.__dataclass_fields__)
            self.summary = Summary(**{k: v for k, v in resume.items() if k in known})
            self._skip = self.summary.rows_read
        self._sources: dict[str, Source | None] = {}

    def _source(self, name: str) -> Source:
        if not name:
            if self.default_source is None:
                raise ValidationError("no source: give --source or fill the 'source' column")
            return self.default_source
        key = name.lower()
        if key not in self._sources:
            self._sources[key] = Source.objects.filter(name__iexact=name).first()
        found = self._sources[key]
        if found is None:
            raise ValidationError(
                f"source: unknown source {name[:60]!r}; add it to the sources directory first"
            )
        return found

    def _prepare(self, row: TipRow) -> _Prepared:
        _protect(row)
        source = self._source(row.source_name)
        tip = Tip(
            source=source,
            source_reference=row.reference,
            received_at=row.received_at or timezone.now(),
            received_via=row.via,
            narrative=row.narrative,
            country=row.country,
            source_warning=actions.source_warning_for(source),
            attributes=row.attributes,
            created_by=self.actor,
        )
        selectors: dict[tuple[str, str], Selector] = {}
        errors = []
        for item in row.selectors:
            try:
                s = actions.build_selector(tip, item)
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
            if s.details.get("validated") is False:
                self.summary.warn(
                    f"line {row.line}: {s.type} {s.raw[:60]!r} could not be validated; "
                    f"kept as {s.value} (not validated)"
                )
            selectors.setdefault((s.type, s.value), s)
        if errors:
            raise ValidationError(errors)
        for s in actions.extracted_selectors(tip, row.narrative):
            selectors.setdefault((s.type, s.value), s)
        return _Prepared(row, source, tip, list(selectors.values()))

    def run(self, rows: Iterable[TipRow | RowError]) -> Summary:
        batch: list[_Prepared] = []
        keys: set[tuple[int, str]] = set()
        skip = self._skip
        try:
            for item in rows:
                if skip:
                    skip -= 1
                    continue
                self.summary.rows_read += 1
                if isinstance(item, RowError):
                    self.summary.reject(item.line, item.reason)
                    continue
                try:
                    prepared = self._prepare(item)
                except ValidationError as exc:
                    self.summary.reject(item.line, "; ".join(exc.messages))
                    continue
                key = (prepared.source.pk, item.reference)
                if key in keys:
                    self._flush(batch, pending=1)
                    batch, keys = [], set()
                batch.append(prepared)
                keys.add(key)
                if len(batch) >= self.batch_size:
                    self._flush(batch)
                    batch, keys = [], set()
        except ImportFileError as exc:
            self.summary.error = str(exc)
        self._flush(batch)
        return self.summary

    def _flush(self, batch: list[_Prepared], *, pending: int = 0) -> None:
        """Write one batch; `pending` records already counted are not in it (not committed)."""
        if not batch:
            return
        try:
            with transaction.atomic():
                delta = self._commit(batch)
        except Exception:  # replay row by row: one bad row must not sink its batch
            for prepared in batch:
                for s in prepared.selectors:
                    s.pk = None
                prepared.tip.pk = None
                prepared.tip._state.adding = True
                try:
                    with transaction.atomic():
                        delta = self._commit([prepared])
                except (ValidationError, PermissionDenied) as exc:
                    msg = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    self.summary.reject(prepared.row.line, msg or "not allowed")
                    continue
                except Exception as exc:  # a database error for this row only
                    self.summary.reject(
                        prepared.row.line,
                        f"could not be saved ({exc.__class__.__name__}: {str(exc)[:200]})",
                    )
                    continue
                self._apply(delta)
        else:
            self._apply(delta)
        if self.checkpoint:
            state = self.summary.as_dict()
            state["rows_read"] -= pending
            self.checkpoint(state)
        if self.progress:
            self.progress(self.summary.rows_read)

    def _apply(self, delta: dict[str, int]) -> None:
        for k, v in delta.items():
            setattr(self.summary, k, getattr(self.summary, k) + v)

    def _commit(self, batch: list[_Prepared]) -> dict[str, int]:
        delta = {
            "tips_created": 0,
            "tips_updated": 0,
            "tips_unchanged": 0,
            "selectors": 0,
            "flags": 0,
        }
        by_source: dict[int, list[str]] = {}
        for p in batch:
            by_source.setdefault(p.source.pk, []).append(p.row.reference)
        existing: dict[tuple[int, str], Tip] = {}
        for source_id, refs in by_source.items():
            for tip in Tip.objects.filter(
                source_id=source_id, source_reference__in=refs
            ).select_related("source"):
                existing[(source_id, tip.source_reference)] = tip
        new = [p for p in batch if (p.source.pk, p.row.reference) not in existing]
        old = [p for p in batch if (p.source.pk, p.row.reference) in existing]
        if new:
            tips = Tip.objects.bulk_create([p.tip for p in new])
            selectors = []
            for p, tip in zip(new, tips, strict=True):
                for s in p.selectors:
                    s.tip = tip
                selectors.extend(p.selectors)
            Selector.objects.bulk_create(selectors, batch_size=1000)
            search.index_tips((t.pk, t.narrative) for t in tips)
            delta["flags"] += actions.emit_added_bulk(
                [(p.tip, p.selectors) for p in new], self.actor
            )
            # One audit row per batch names every tip it created (id, reference, line):
            # a row per tip would cost more than the import itself.
            record(
                "tip.import_create",
                actor=self.actor,
                object_type="tips.tip",
                object_id=tips[0].pk,
                changes={
                    "columns": ["tip", "source", "reference", "line"],
                    "tips": [[p.tip.pk, p.source.pk, p.row.reference, p.row.line] for p in new],
                },
                summary=f"import: {len(new)} tip(s) created, ids {tips[0].pk}…{tips[-1].pk}",
            )
            delta["tips_created"] += len(new)
            delta["selectors"] += len(selectors)
        if old:
            writable = set(
                Tip.objects.for_user(self.actor, access.WRITE)
                .filter(pk__in=[existing[(p.source.pk, p.row.reference)].pk for p in old])
                .values_list("pk", flat=True)
            )
            have: dict[int, set[tuple[str, str]]] = {}
            for tip_id, kind, value in Selector.objects.filter(
                tip_id__in=[t.pk for t in existing.values()]
            ).values_list("tip_id", "type", "value"):
                have.setdefault(tip_id, set()).add((kind, value))
            for p in old:
                tip = existing[(p.source.pk, p.row.reference)]
                self._update(p, tip, have.get(tip.pk, set()), tip.pk in writable, delta)
        return delta

    def _update(
        self, p: _Prepared, tip: Tip, have: set, writable: bool, delta: dict[str, int]
    ) -> None:
        fields = ["narrative", "country", "attributes"] + (
            ["received_at"] if p.row.received_at else []
        )
        before = {f: getattr(tip, f) for f in fields}
        after = {f: getattr(p.tip, f) for f in fields}
        after["attributes"] = {**tip.attributes, **p.tip.attributes}
        fresh = [s for s in p.selectors if (s.type, s.value) not in have]
        changes = diff(before, after)
        if not changes and not fresh:
            delta["tips_unchanged"] += 1
            return
        if not writable:
            raise PermissionDenied(
                f"tip {tip.source_reference} exists, is assigned to someone else and differs from this row; "
                "only its investigator or a manager may update it"
            )
        for f, v in after.items():
            setattr(tip, f, v)
        tip.save()
        for s in fresh:
            s.tip = tip
        added = Selector.objects.bulk_create(fresh)
        if "narrative" in changes:
            search.index_tips([(tip.pk, tip.narrative)])
        delta["flags"] += actions.emit_added(tip, added, self.actor)
        if added:
            changes["selectors_added"] = [label(s) for s in added]
        record(
            "tip.update",
            actor=self.actor,
            obj=tip,
            changes={**changes, "import_line": p.row.line},
            summary=f"import: {tip.source.name} {tip.source_reference}"[:300],
        )
        delta["tips_updated"] += 1
        delta["selectors"] += len(added)


def import_file(
    path: str | Path,
    *,
    actor: Any,
    fmt: str = "auto",
    source: Source | None = None,
    note: str = "",
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH,
    fileobj: IO[bytes] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    resume: dict[str, Any] | None = None,
) -> Summary:
    """Import one file. `progress(done, total)` is called after each batch (bytes, or rows for XLSX).

    `fileobj` (seekable) is read instead of opening `path`, whose name still picks
    the format: a web upload is stored sealed and decrypted as it is read.
    """
    path = Path(path)
    if fileobj is not None:
        size = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(0)
    else:
        size = path.stat().st_size
    with fileobj if fileobj is not None else open(path, "rb") as raw:
        head = raw.read(8192)
        raw.seek(0)
        if fmt == "auto":
            fmt = detect_format(path, head)
        if fmt not in FORMATS:
            raise ImportFileError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
        counting = Counting(raw)
        binary = io.BufferedReader(counting, buffer_size=65536)
        total = size
        if fmt == "xlsx":
            binary = raw  # openpyxl needs seek; progress counts rows instead
            total = 0

        def tick(rows: int) -> None:
            if progress:
                progress(
                    counting.count if fmt != "xlsx" else rows,
                    max(total, counting.count) if fmt != "xlsx" else 0,
                )

        importer = Importer(
            actor=actor,
            source=source,
            progress=tick,
            batch_size=batch_size,
            checkpoint=checkpoint,
            resume=resume,
        )
        importer.summary.format = fmt
        readers = {
            "csv": read_csv,
            "xlsx": read_xlsx,
            "json": read_json,
            "cybertipline": read_cybertipline,
        }
        if fmt == "iplist":
            rows = read_iplist(binary, importer.summary, note=note)
        else:
            rows = readers[fmt](binary, importer.summary)
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n"):
            # Said plainly rather than "done, 0 rows".
            importer.summary.error = "The file is empty: there is nothing to import."
            summary = importer.summary
        else:
            summary = importer.run(rows)
            if summary.rows_read == 0 and not summary.error:
                summary.error = "The file holds no rows to import (only a header, or blank lines)."
        if progress:
            progress(
                size if fmt != "xlsx" else summary.rows_read,
                size if fmt != "xlsx" else summary.rows_read,
            )
    with transaction.atomic():
        record(
            "tip.import",
            actor=actor,
            object_type="tips.tip",
            changes={
                k: v for k, v in summary.as_dict().items() if k not in {"rejected", "warnings"}
            },
            summary=f"{path.name[:100]} ({fmt}): {summary.tips_created} created, "
            f"{summary.tips_updated} updated, {summary.rejected_count} rejected",
            outcome=Outcome.FAILED if summary.error and not summary.rows_read else Outcome.SUCCESS,
        )
    return summary
