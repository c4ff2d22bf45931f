"""The runner: read a file with its reader, validate each row, hand batches to the actions.

It writes nothing itself: rows become `actions.ImportItem`s (validated, nothing
saved), batches go to `actions.do_import_tip_batch` (one transaction, replayed
row by row if the database refuses it), and the import's own audit row to
`actions.do_finish_import`.
"""

from __future__ import annotations

import copy
import gc
import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from vigil.accounts import access
from vigil.core import bulk
from vigil.tips import actions
from vigil.tips.importing.csvfile import read_csv
from vigil.tips.importing.cybertipline import read_cybertipline
from vigil.tips.importing.detection import detect_format
from vigil.tips.importing.iplist import batch_reference, read_iplist
from vigil.tips.importing.jsonfile import read_json
from vigil.tips.importing.rows import ImportFileError, RowError, Summary, TipRow, protect
from vigil.tips.importing.streams import Counting
from vigil.tips.importing.xlsxfile import read_xlsx
from vigil.tips.models import Source

FORMATS = ("csv", "xlsx", "json", "iplist", "cybertipline")
BATCH = 1000
READERS = {"csv": read_csv, "xlsx": read_xlsx, "json": read_json, "cybertipline": read_cybertipline}


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
        import_job_id: int | None = None,
    ):
        access.require(access.can_create(actor))
        self.actor = actor
        self.default_source = source
        self.import_job_id = import_job_id  # the web import's job: its tips point to it
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
        # When the batch's undated rows are received: read once a batch, not once a row (an
        # IP list's 1,000 tips a batch each had an instant of its own to convert).
        self._now = timezone.now()

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

    def _prepare(self, row: TipRow) -> actions.ImportItem:
        protect(row)
        item = actions.build_import_item(
            actor=self.actor,
            line=row.line,
            source=self._source(row.source_name),
            reference=row.reference,
            narrative=row.narrative,
            received_at=row.received_at,
            received_via=row.via,
            country=row.country,
            attributes=row.attributes,
            selectors=row.selectors,
            import_job_id=self.import_job_id,
            now=self._now,
        )
        for warning in item.warnings:
            self.summary.warn(warning)
        return item

    def run(self, rows: Iterable[TipRow | RowError]) -> Summary:
        batch: list[actions.ImportItem] = []
        keys: set[tuple[int, str]] = set()
        skip = self._skip
        try:
            for row in rows:
                if skip:
                    skip -= 1
                    continue
                self.summary.rows_read += 1
                if isinstance(row, RowError):
                    self.summary.reject(row.line, row.reason)
                    continue
                try:
                    item = self._prepare(row)
                except ValidationError as exc:
                    self.summary.reject(row.line, "; ".join(exc.messages))
                    continue
                if item.key in keys:  # the same tip twice: the first one is written first
                    self._flush(batch, pending=1)
                    batch, keys = [], set()
                batch.append(item)
                keys.add(item.key)
                if len(batch) >= self.batch_size:
                    self._flush(batch)
                    batch, keys = [], set()
        except ImportFileError as exc:
            self.summary.error = str(exc)
        self._flush(batch)
        return self.summary

    def _flush(self, batch: list[actions.ImportItem], *, pending: int = 0) -> None:
        """Write one batch; `pending` records already counted are not in it (not committed)."""
        if not batch:
            return

        def checkpoint(outcome: actions.BatchOutcome) -> None:
            # Inside the batch's transaction: the checkpoint commits with its rows.
            assert self.checkpoint is not None
            state = _counted(copy.deepcopy(self.summary), outcome).as_dict()
            state["rows_read"] -= pending
            self.checkpoint(state)

        outcome = actions.do_import_tip_batch(
            batch, actor=self.actor, before_commit=checkpoint if self.checkpoint else None
        )
        self._now = timezone.now()
        _counted(self.summary, outcome)
        if self.progress:
            self.progress(self.summary.rows_read)


def _counted(s: Summary, outcome: actions.BatchOutcome) -> Summary:
    """`s` with one written batch's outcome added."""
    s.tips_created += outcome.tips_created
    s.tips_updated += outcome.tips_updated
    s.tips_unchanged += outcome.tips_unchanged
    s.selectors += outcome.selectors
    s.flags += outcome.flags
    for note in outcome.notes:
        s.note(note)
    for line, reason in outcome.rejected:
        s.reject(line, reason)
    return s


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector, rarer while an import runs (restored after).

    An import allocates millions of short-lived objects, nearly all freed by
    reference counting; at the default thresholds the collector re-scanned the
    process's long-lived objects (Django's, the app's) so often that it took a
    quarter of the CPU. They are frozen out of its view meanwhile.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


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
    import_job_id: int | None = None,
) -> Summary:
    """Import one file. `progress(done, total)` is called after each batch (bytes, or rows for XLSX).

    `fileobj` (seekable) is read instead of opening `path`, whose name still picks
    the format: a web upload is stored sealed and decrypted as it is read.
    """
    with fewer_collections(), bulk.fewer_checkpoints():
        return _import_file(
            Path(path),
            actor=actor,
            fmt=fmt,
            source=source,
            note=note,
            progress=progress,
            batch_size=batch_size,
            fileobj=fileobj,
            checkpoint=checkpoint,
            resume=resume,
            import_job_id=import_job_id,
        )


def _import_file(
    path: Path,
    *,
    actor: Any,
    fmt: str,
    source: Source | None,
    note: str,
    progress: Callable[[int, int], None] | None,
    batch_size: int,
    fileobj: IO[bytes] | None,
    checkpoint: Callable[[dict[str, Any]], None] | None,
    resume: dict[str, Any] | None,
    import_job_id: int | None,
) -> Summary:
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
            import_job_id=import_job_id,
        )
        importer.summary.format = fmt
        if fmt == "iplist":
            batch = batch_reference(path, raw)
            rows = read_iplist(binary, importer.summary, note=note, batch=batch)
        else:
            rows = READERS[fmt](binary, importer.summary)
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
    actions.do_finish_import(summary.as_dict(), name=path.name, fmt=fmt, actor=actor)
    return summary
