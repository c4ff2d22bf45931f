"""IP lists: one IP per line, optionally `,timestamp`; one tip per valid IP.

A tip's reference is "<batch reference>-<line>" (issue 15: the IP itself named
the tip before, "81.2.69.142 shares ip address 81.2.69.142 with 81.2.69.142").
The batch reference is the file's name and the start of its SHA-256: the same
file imported again finds the same tips; another list of the same name does not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError

from vigil.lib import selectors as sel
from vigil.tips import actions
from vigil.tips.dates import parse_when
from vigil.tips.importing import streams
from vigil.tips.importing.rows import RowError, Summary, TipRow


def batch_reference(name: str | Path, raw: IO[bytes]) -> str:
    """ "<file name stem>.<8 hex of its SHA-256>" (the stream is read, then rewound)."""
    digest = hashlib.sha256()
    start = raw.tell()
    for chunk in iter(lambda: raw.read(1 << 20), b""):
        digest.update(chunk)
    raw.seek(start)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem).strip("._")[:120] or "iplist"
    return f"{stem}.{digest.hexdigest()[:8]}"


def read_iplist(
    binary: IO[bytes], summary: Summary, *, note: str = "", batch: str = "iplist"
) -> Iterator[TipRow | RowError]:
    """One IP per line, optionally `,timestamp`; blank lines and `#` comments are skipped."""
    stream = streams.sniffed(binary)
    bad: set[int] = set()
    for n, text in enumerate(streams.lines(stream, bad), 1):
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
        reference = f"{batch}-{n}"
        yield TipRow(
            line=n,
            reference=reference,
            narrative=note,
            received_at=None,
            selectors=[actions.SelectorInput("ip", addr.strip(), observed_at=seen, port=obs.port)],
        )
