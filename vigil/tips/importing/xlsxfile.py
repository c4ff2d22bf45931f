"""XLSX: the first sheet, a header row, then one tip per row; formulas are never evaluated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import IO, Any

from vigil.tips.importing.rows import (
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
        head: Header | None = None
        for line, cells in enumerate(ws.iter_rows(), start=ws.min_row or 1):
            if head is None:
                texts = [_xlsx_text(c) for c in cells]
                if not any(t.strip() for t in texts):
                    continue
                head = header(texts, line)
                victim_columns(head.names, summary)
                continue
            names = head.names
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
            if head.unnamed and (i := unnamed_value(head, texts)) is not None:
                yield unnamed_column(line, getattr(cells[i], "column_letter", str(i + 1)))
                continue
            yield to_row(line, apply_header(head, texts, summary))
        if head is None:
            raise ImportFileError("The workbook's first sheet is empty: no header and no rows.")
    finally:
        wb.close()
