"""IP lists: one IP per line, optionally `,timestamp`; one tip per valid IP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.core.exceptions import ValidationError

from vigil.lib import selectors as sel
from vigil.tips import actions
from vigil.tips.dates import parse_when
from vigil.tips.importing import streams
from vigil.tips.importing.rows import RowError, Summary, TipRow


def read_iplist(
    binary: IO[bytes], summary: Summary, *, note: str = ""
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
