"""Bulk import of tips: CSV, XLSX, JSON, IP lists and NCMEC CyberTipline report XML.

Readers stream their file and yield `TipRow`s (or `RowError`s); the runner
validates each row into an `ImportItem` and hands batches to
`actions.do_import_tip_batch`, which writes them. This package only reads.
Guarantees (docs/tips.md):

- A row that fails never stops the others and never leaves half a tip: rows are
  validated before any write, each batch is one transaction, and a batch that
  fails at the database is replayed row by row, each in its own transaction.
- Source + reference identify a tip: re-importing creates nothing new; a row
  that differs from the stored tip updates it (audited), otherwise it counts
  as unchanged.
- Memory is bounded by the batch size, never by the file size.

Layout: rows.py (TipRow, RowError, Summary, a record → a TipRow), streams.py
(UTF-8 check, counting, lines), one reader per format (csvfile, xlsxfile,
jsonfile, iplist, cybertipline), detection.py, runner.py (Importer, import_file).

Decisions:
- Encoding: UTF-8 (a BOM is fine). If the first megabyte is not UTF-8 the file
  is refused as a whole with a clear message; an undecodable line further on
  rejects just the rows on it.
- XLSX formulas are never evaluated: a row with a formula cell is rejected
  (the message names the cell), text that merely starts with "=" is kept.
- A CyberTipline `<victim>` (and `<intendedRecipient>`) section is dropped
  unread; the summary counts it. A value in a report that does not parse is
  kept in the tip's attributes rather than losing the report.
"""

from vigil.tips.importing.csvfile import read_csv
from vigil.tips.importing.cybertipline import read_cybertipline
from vigil.tips.importing.detection import detect_format
from vigil.tips.importing.iplist import read_iplist
from vigil.tips.importing.jsonfile import read_json
from vigil.tips.importing.rows import (
    COLUMNS,
    MAX_CELL,
    MAX_NARRATIVE,
    MAX_REJECTED_KEPT,
    ImportFileError,
    RowError,
    Summary,
    TipRow,
    record_to_row,
)
from vigil.tips.importing.runner import BATCH, FORMATS, Importer, import_file
from vigil.tips.importing.xlsxfile import read_xlsx

__all__ = [
    "BATCH",
    "COLUMNS",
    "FORMATS",
    "MAX_CELL",
    "MAX_NARRATIVE",
    "MAX_REJECTED_KEPT",
    "ImportFileError",
    "Importer",
    "RowError",
    "Summary",
    "TipRow",
    "detect_format",
    "import_file",
    "read_csv",
    "read_cybertipline",
    "read_iplist",
    "read_json",
    "read_xlsx",
    "record_to_row",
]
