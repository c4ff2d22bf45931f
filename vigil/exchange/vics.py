"""Reading and writing VICS JSON files, streaming, in bounded memory.

Reading: an incremental parser walks the top-level object and hands out one
`Media` entry at a time (each decoded by the C JSON decoder), so a file of a
million records never sits in memory. It accepts the shapes real files take:

    {"odata.metadata": ".../1.3.xml#Media", "value": [ {Media}, … ]}         1.2 / 1.3
    {"@odata.context": ".../2.0.xml/US/$metadata#Media", "value": [ … ]}      2.0
    {"@odata.context": "...#Cases", "value": [ {case fields…, "Media": [ … ]} ]}
    {case fields…, "Media": [ … ]}                                             a Case entity

with or without a UTF-8 byte-order mark. Case fields may come before or after
the media; they are known once the file has been read (`reader.case`).

Writing: `write()` streams records out in the version asked for.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from vigil.exchange import mapping

CHUNK = 1 << 20
_WS = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder()


class VicsFormatError(ValueError):
    """The file is not a VICS document (or not valid JSON); nothing is imported."""


class _Scanner:
    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.decode = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.consumed = 0  # characters dropped from the front of the buffer

    def _fill(self) -> bool:
        if self.eof:
            return False
        raw = self.stream.read(CHUNK)
        try:
            text = self.decode.decode(raw, final=not raw)
        except UnicodeDecodeError:
            raise VicsFormatError("The file is not UTF-8 text.") from None
        if not raw:
            self.eof = True
        if self.pos > CHUNK:
            self.consumed += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += text
        return bool(raw) or bool(text)

    def where(self) -> str:
        return f"character {self.consumed + self.pos}"

    def peek(self) -> str:
        while True:
            m = _WS.match(self.buf, self.pos)
            self.pos = m.end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def take(self, expected: str) -> None:
        ch = self.peek()
        if ch != expected:
            got = repr(ch) if ch else "the end of the file"
            raise VicsFormatError(
                f"Invalid JSON at {self.where()}: expected {expected!r}, got {got}."
            )
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self._fill():
                    continue
                raise VicsFormatError(f"Invalid JSON at {self.where()}: {exc.msg}.") from None
            if end >= len(self.buf) and not self.eof and self._fill():
                continue  # a number at the end of the buffer may go on in the next chunk
            self.pos = end
            return value

    def members(self) -> Iterator[str]:
        """Keys of the object starting here; the caller consumes each value."""
        self.take("{")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                raise VicsFormatError(f"Invalid JSON at {self.where()}: expected a key.")
            key = self.value()
            self.take(":")
            yield key
            ch = self.peek()
            self.pos += 1
            if ch == "}":
                return
            if ch != ",":
                raise VicsFormatError(f"Invalid JSON at {self.where()}: expected ',' or '}}'.")

    def elements(self) -> Iterator[None]:
        """One step per element of the array starting here; the caller consumes each."""
        self.take("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield None
            ch = self.peek()
            self.pos += 1
            if ch == "]":
                return
            if ch != ",":
                raise VicsFormatError(f"Invalid JSON at {self.where()}: expected ',' or ']'.")


class Reader:
    """Iterate over `(index, path, media)`; afterwards `version`, `case`, `case_rejected`."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.scanner = _Scanner(stream)
        self.version = ""
        self.context = ""
        self.case: dict[str, Any] = {}
        self.case_rejected: list[str] = []
        self.saw_media = False

    def _top(self, key: str, value: Any, path: str) -> None:
        if key in ("odata.metadata", "@odata.context"):
            self.context = str(value)
            self.version = detect_version(key, str(value))
            return
        if "odata." in key:
            return
        bad = mapping.victim_name_paths({key: value}, path)
        if bad:
            self.case_rejected.extend(bad)
            return
        if key in mapping.CASE_FIELDS and not isinstance(value, (dict, list)):
            self.case.setdefault(key, value)

    def _media_array(self, path: str, counter: list[int]) -> Iterator[tuple[int, str, Any]]:
        s = self.scanner
        self.saw_media = True
        for i, _ in enumerate(s.elements()):
            yield counter[0], f"{path}[{i}]", s.value()
            counter[0] += 1

    def _case_object(self, path: str, counter: list[int]) -> Iterator[tuple[int, str, Any]]:
        s = self.scanner
        for key in s.members():
            if key == "Media" and s.peek() == "[":
                yield from self._media_array(f"{path}.Media", counter)
            else:
                self._top(key, s.value(), path)

    def __iter__(self) -> Iterator[tuple[int, str, Any]]:
        s = self.scanner
        if s.peek() != "{":
            raise VicsFormatError("A VICS file is one JSON object (it starts with '{').")
        counter = [0]
        for key in s.members():
            if key in ("value", "Media") and s.peek() == "[":
                if key == "value" and "#Cases" in self.context:
                    for i, _ in enumerate(s.elements()):
                        if s.peek() != "{":
                            raise VicsFormatError(f"$.value[{i}] is not a case object.")
                        yield from self._case_object(f"$.value[{i}]", counter)
                else:
                    yield from self._media_array(f"$.{key}", counter)
            else:
                self._top(key, s.value(), "$")
        if s.peek():
            raise VicsFormatError(
                f"Invalid JSON at {s.where()}: data after the end of the document."
            )
        if not self.saw_media:
            raise VicsFormatError(
                "No Media array found: a VICS file holds its records in 'value' (or 'Media')."
            )
        if not self.version:
            self.version = "2.0" if self.context.startswith("http") else ""


def detect_version(key: str, context: str) -> str:
    m = re.search(r"DataModels/(\d+\.\d+)", context)
    if m:
        return m.group(1)
    return "2.0" if key.startswith("@") else "1.3"


def write(
    out: IO[str],
    records: Iterable[dict[str, Any]],
    *,
    version: str = "2.0",
    case: dict | None = None,
) -> int:
    """Stream VICS Media objects (already mapped) into `out`; returns how many."""
    if version not in mapping.CONTEXT:
        raise ValueError(f"VICS version must be one of {', '.join(mapping.CONTEXT)}.")
    key = "@odata.context" if version.startswith("2") else "odata.metadata"
    out.write("{" + json.dumps(key) + ":" + json.dumps(mapping.CONTEXT[version]))
    for field, value in (case or {}).items():
        out.write("," + json.dumps(field) + ":" + json.dumps(value))
    out.write(',"value":[\n')
    n = 0
    for rec in records:
        if n:
            out.write(",\n")
        out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
        n += 1
    out.write("\n]}\n")
    return n
