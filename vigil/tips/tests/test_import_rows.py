"""The per-file reading of import rows gives what the per-row reading gave (issue 16).

`record_to_row`, `apply_header` and `protect` sort a file's columns once (its header,
a record's set of keys) and skip work a row cannot need; the functions below are
the per-row code they replaced, kept as the reference they must match on any row.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigil.lib import countries
from vigil.tips import actions, columns
from vigil.tips.dates import parse_dob, parse_when
from vigil.tips.importing import rows, streams
from vigil.tips.importing.rows import (
    _KNOWN,
    _SELECTOR_COLUMNS,
    MAX_CELL,
    MAX_NARRATIVE,
    Header,
    Summary,
    TipRow,
    apply_header,
    protect,
    record_to_row,
)
from vigil.tips.models import Tip

# --- the reference: the per-row code as it was ----------------------------------------


def old_split(cell: str) -> list[str]:
    return [v.strip() for v in (cell or "").split(";") if v.strip()]


def old_ip_input(raw: str) -> actions.SelectorInput:
    addr, bar, when = raw.partition("|")
    obs = actions.ip_observation(addr.strip())
    if obs is None:
        raise ValidationError(f"ip_address: {addr.strip()[:60]!r} is not a valid IP address")
    seen = parse_when(when, column="ip_address time") if bar else None
    return actions.SelectorInput("ip", addr.strip(), observed_at=seen or obs.seen_at, port=obs.port)


def old_record_to_row(line: int, data: dict[str, str], *, default_via: str = Tip.Via.BULK):
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
    if row.country and not countries.is_country(row.country):
        errors.append(f"country: {row.country[:20]!r} is not an ISO 3166 country code")
    for column, kind in _SELECTOR_COLUMNS.items():
        for raw in old_split(data.get(column, "")):
            try:
                if kind == "ip":
                    row.selectors.append(old_ip_input(raw))
                else:
                    row.selectors.append(actions.SelectorInput(kind, raw))
            except ValidationError as exc:
                errors.extend(exc.messages)
    names = old_split(data.get("suspect_name", ""))
    try:
        dob = parse_dob(data.get("suspect_dob", ""))
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
        if key in _KNOWN or not value.strip():
            continue
        if columns.is_child_column(key):
            continue
        kind = columns.sensitive_kind(key)
        if kind:
            row.selectors.extend(actions.SelectorInput(kind, raw) for raw in old_split(value))
            continue
        row.attributes[key] = value.strip()
        row.selectors.append(
            actions.SelectorInput("attribute", value.strip(), details={"key": key})
        )
    if errors:
        raise ValidationError(errors)
    return row


def old_apply_header(names: list[str], cells: list[str], summary: Summary) -> dict[str, str]:
    data = {}
    dropped = False
    for name, cell in zip(names, cells, strict=False):
        if not name:
            continue
        if columns.is_child_column(name):
            dropped = dropped or bool(str(cell or "").strip())
            continue
        data[name] = cell if isinstance(cell, str) else str(cell)
    if dropped:
        summary.victim_sections_dropped += 1
    return data


def old_protect(row: TipRow) -> None:
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


# --- rows of every kind ---------------------------------------------------------------

EXTRA = [
    "platform",
    "notes",
    "ssn",
    "suspect_ssn",
    "card_number",
    "credit card",
    "child_name",
    "victim",
    "minor_age",
    "x",
]
VALUES = [
    "",
    "  ",
    "BENCH-1",
    " ref 2 ",
    "R" * 201,
    "2024-03-01T10:22:00Z",
    "2024-03-01 10:22:00 UTC",
    "2024-03-01",
    "1969-12-31",
    "2999-01-01",
    "yesterday",
    "203.0.113.5",
    "203.0.113.5|2024-03-01T10:22:00Z",
    " 10.0.0.1 | 2024-03-01 ",
    "10.0.0.1|nope",
    "256.1.1.1",
    "[2001:db8::1]:443",
    "203.0.113.5; 198.51.100.7|2024-03-02T00:00:00Z",
    "a@example.com",
    "a@example.com; b@example.org ;;",
    "+1 202 555 0101",
    "US",
    "us",
    "XX",
    "Jane Doe",
    "Jane Doe; John Roe",
    "1990-01-31",
    "1990-13-01",
    "123-45-6789",
    "078 05 1120",
    "4111 1111 1111 1111",
    "card 4111-1111-1111-1111 and ssn 123-45-6789",
    "call me at 123456789",
    ";",
    " ; ; ",
    "x" * (MAX_CELL + 1),
    "n" * (MAX_NARRATIVE + 1),
]
KEYS = [*rows.COLUMNS, *EXTRA]

records = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=10).map(
    lambda d: {"reference": "T-1", **d} if "reference" not in d and len(d) % 3 else d
)


def _outcome(fn, *args, **kw):
    try:
        return ("row", fn(*args, **kw))
    except ValidationError as exc:
        return ("error", exc.messages)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records, st.sampled_from([Tip.Via.BULK, Tip.Via.API]))
def test_a_record_reads_as_it_did(data, via):
    assert _outcome(record_to_row, 7, data, default_via=via) == _outcome(
        old_record_to_row, 7, data, default_via=via
    )


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records, st.dictionaries(st.sampled_from(EXTRA), st.sampled_from(VALUES), max_size=3))
def test_a_row_is_protected_as_it_was(data, attributes):
    got, want = _outcome(record_to_row, 3, data), _outcome(old_record_to_row, 3, data)
    assert got == want
    if got[0] != "row":
        return
    new, old = got[1], want[1]
    protect(new)
    old_protect(old)
    assert new == old
    # A reader that sets attributes with no attribute selectors (CyberTipline): still seen.
    new.attributes = dict(attributes)
    old.attributes = dict(attributes)
    protect(new)
    old_protect(old)
    assert new == old


@pytest.mark.parametrize(
    "attributes, selectors",
    [
        ({}, []),
        ({}, [("email", "a@example.com"), ("ssn", "123-45-6789")]),
        ({"note": "123-45-6789"}, []),
        ({"note": ["4111 1111 1111 1111", 3, "plain"]}, [("phone", "+1 202 555 0101")]),
        ({}, [("attribute", "4111111111111111")]),
        ({}, [("attribute", "id 123-45-6789 here")]),
    ],
)
def test_protect_skips_only_rows_with_nothing_to_protect(attributes, selectors):
    def make() -> TipRow:
        return TipRow(
            line=1,
            reference="R",
            attributes=dict(attributes),
            selectors=[actions.SelectorInput(t, raw) for t, raw in selectors],
        )

    new, old = make(), make()
    protect(new)
    old_protect(old)
    assert new == old


names_st = st.lists(
    st.sampled_from([*rows.COLUMNS, "", "notes", "child_name", "victim_dob", "ssn"]),
    min_size=1,
    max_size=8,
    unique_by=lambda n: n or object(),
)


@settings(max_examples=1500, deadline=None)
@given(names_st, st.lists(st.sampled_from(["", " ", "a", " b ", "x;y"]), max_size=10))
def test_a_row_meets_its_header_as_it_did(names, cells):
    new, old = Summary(), Summary()
    assert apply_header(Header.of(names), cells, new) == old_apply_header(names, cells, old)
    assert new.victim_sections_dropped == old.victim_sections_dropped


def test_a_header_is_sorted_once():
    head = Header.of(["reference", "", "child_name", "notes", "email"])
    assert head.kept == ((0, "reference"), (3, "notes"), (4, "email"))
    assert head.child == (2,) and not head.plain
    assert Header.of(["reference", "email"]).plain


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.integers(1, 700), st.integers(1, 900))
def test_the_sniffed_stream_gives_the_file_as_it_is(data, sniff, size):
    head, rest = data[:sniff], io.BytesIO(data[sniff:])
    stream = io.BufferedReader(streams.Chain(head, rest), size)
    got = bytearray()
    while chunk := stream.read(size):
        got += chunk
    assert bytes(got) == data
    head, rest = data[:sniff], io.BytesIO(data[sniff:])
    assert b"".join(io.BufferedReader(streams.Chain(head, rest), size)) == data


def old_find_sensitive(text: str) -> list[tuple[str, str, int, int]]:
    """find_sensitive before its nine-digit shortcut: any digit, then both scans."""
    if not text or not any(ch.isdigit() for ch in text):
        return []
    found: list[tuple[str, str, int, int]] = []
    taken: list[tuple[int, int]] = []
    for m in columns._CARD_RE.finditer(text):
        raw = m.group().strip(" -")
        if columns.sel.normalise("card", raw):
            found.append(("card", raw, m.start(), m.start() + len(raw)))
            taken.append((m.start(), m.end()))
    for m in columns._SSN_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        if columns.sel.normalise("ssn", m.group()):
            found.append(("ssn", m.group(), m.start(), m.end()))
    return sorted(found, key=lambda f: f[2])


digit_text = st.text(alphabet="0123456789 -- ab.\n٣²", max_size=60) | st.sampled_from(
    [v for v in VALUES if len(v) < 200]
)


@settings(max_examples=3000, deadline=None)
@given(digit_text)
def test_free_text_is_searched_as_before(text):
    assert columns.find_sensitive(text) == old_find_sensitive(text)
