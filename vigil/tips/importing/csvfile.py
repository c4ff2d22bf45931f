"""CSV: a header row, then one tip per row (docs/tips.md)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from vigil.tips.importing import streams
from vigil.tips.importing.rows import (
    NUL_REASON,
    Header,
    ImportFileError,
    RowError,
    Summary,
    TipRow,
    apply_header,
    header,
    to_row,
    unnamed_column,
    unnamed_value,
    victim_columns,
)

csv.field_size_limit(1_000_000)


def _taken(marked: set[int], start: int, last: int) -> bool:
    """Does a line of the record (lines `start`…`last`) stand in `marked`, the lines
    streams.lines noted? Its lines are taken out of the set (they are read)."""
    if not marked or not any(n in marked for n in range(start, last + 1)):
        return False
    marked.difference_update(range(start, last + 1))
    return True


def read_csv(binary: IO[bytes], summary: Summary) -> Iterator[TipRow | RowError]:
    stream = streams.sniffed(binary)
    bad: set[int] = set()
    nul: set[int] = set()
    reader = csv.reader(streams.lines(stream, bad, nul))
    head: Header | None = None
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
        if not any(map(str.strip, cells)):  # a blank row
            continue
        if head is None:
            head = header(cells, start)
            victim_columns(head.names, summary)
            continue
        if _taken(bad, start, last):
            yield RowError(start, "not valid UTF-8 text; save the file as UTF-8")
            continue
        if _taken(nul, start, last):
            yield RowError(start, NUL_REASON)
            continue
        if len(cells) > len(head.names):
            yield RowError(
                start, f"{len(cells)} cells but the header names {len(head.names)} columns"
            )
            continue
        if head.unnamed and (i := unnamed_value(head, cells)) is not None:
            yield unnamed_column(start, str(i + 1))
            continue
        yield to_row(start, apply_header(head, cells, summary))
    if head is None:
        raise ImportFileError("The file is empty: no header and no rows.")
