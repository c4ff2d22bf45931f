"""JSON: a list of objects with the CSV's keys, decoded one object at a time."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import IO

from vigil.tips import columns
from vigil.tips.importing import streams
from vigil.tips.importing.rows import (
    NUL_REASON,
    ImportFileError,
    RowError,
    Summary,
    TipRow,
    to_row,
)


def read_json(binary: IO[bytes], summary: Summary) -> Iterator[TipRow | RowError]:
    """A JSON list of objects, decoded one object at a time."""
    text = io.TextIOWrapper(streams.sniffed(binary), encoding="utf-8-sig", errors="strict")
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
                raw_nul = buf.find("\\u0000", pos, end) >= 0  # the only way JSON writes one
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
        if raw_nul and any("\x00" in k or "\x00" in v for k, v in data.items()):
            bad = NUL_REASON
        if bad:
            yield RowError(start_line, bad)
            continue
        yield to_row(start_line, data)
    if dropped_names:
        summary.warnings.append(
            f"Field(s) {', '.join(sorted(dropped_names))} dropped unread: Vigil stores no "
            "information about a child, a victim or a complainant."
        )
