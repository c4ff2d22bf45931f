"""Byte streams under the readers: progress counting, the UTF-8 check, decoded lines."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

from vigil.tips.importing.rows import ImportFileError

SNIFF_BYTES = 1024 * 1024
READ_BYTES = 65536  # the readers' buffer: fewer reads through the Chain below


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


def check_utf8(head: bytes) -> None:
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


def lines(binary: IO[bytes], bad: set[int], nul: set[int] | None = None) -> Iterator[str]:
    """Decoded lines; an undecodable line is noted in `bad` and yielded with replacements,
    one holding a NUL character in `nul` (no database text column stores it)."""
    for n, raw in enumerate(binary, 1):
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if nul is not None and b"\x00" in raw:
            nul.add(n)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.add(n)
            yield raw.decode("utf-8", "replace")


class Chain(io.RawIOBase):
    """The sniffed head followed by the rest of the file."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        # Read from an offset: slicing the rest of the head off at each read copied
        # up to SNIFF_BYTES per read.
        self.head, self.pos, self.rest = memoryview(head), 0, rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.pos < len(self.head):
            n = min(len(b), len(self.head) - self.pos)
            b[:n] = self.head[self.pos : self.pos + n]
            self.pos += n
            if self.pos == len(self.head):  # read: let it go
                self.head, self.pos = memoryview(b""), 0
            return n
        data = self.rest.read(len(b))
        b[: len(data)] = data
        return len(data)


def sniffed(binary: IO[bytes]) -> IO[bytes]:
    """`binary` after checking that its first SNIFF_BYTES are UTF-8 (ImportFileError if not)."""
    head = binary.read(SNIFF_BYTES)
    check_utf8(head.removeprefix(b"\xef\xbb\xbf"))
    return io.BufferedReader(Chain(head, binary), READ_BYTES)  # type: ignore[arg-type]
