"""The "slot" table layout of :mod:`vigil.lib.hamming`: rows stored in the bucket.

A chunk table maps a ``width``-bit key to the rows whose chunk has that key.  In
the CSR layout (``offsets`` + ``perm``) a probe costs two cache misses before the
row's hash is read: the bucket bounds, then the row numbers.  Here a key owns
``per_key`` (1 or 2) uint32 slots, so the rows of a bucket that small are read
with the probe itself, one cache miss:

* ``EMPTY`` (all ones): no row;
* below ``OVERFLOW`` (bit 31): a row number;
* ``OVERFLOW | i``: the bucket holds more than ``per_key`` rows, listed in the
  table's ``overflow`` array as ``[count, row, row, ...]`` from ``i`` on (the first
  slot only; a second slot is then ``EMPTY``).

At 10M hashes (λ = 1.2 rows per 23-bit key, 0.6 per 24-bit key, two slots and one)
about 12% of probes reach the overflow array; the tables take 0.94 GB, as much
as ``offsets`` + ``perm`` did.  Rows keep ascending order inside a bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

EMPTY = np.uint32(0xFFFFFFFF)
OVERFLOW = np.uint32(0x80000000)
# Rows per key above which a key gets two slots rather than one.
TWO_SLOTS_FROM = 0.75

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


def slots_per_key(n: int, width: int) -> int:
    """1 or 2: two when the table holds on average >= 0.75 rows per key."""
    return 2 if n >= TWO_SLOTS_FROM * 2**width else 1


def slot_table(keys: U32, width: int, per_key: int, slots: U32 | None = None) -> tuple[U32, U32]:
    """(slots, overflow) of one table; ``keys[row]`` is the row's chunk key.  ``slots``:
    where to write the slots (``2**width * per_key`` of them), else a new array."""
    n = len(keys)
    if n >= 2**30:  # overflow positions (< 2n) must stay below OVERFLOW
        raise ValueError("a slot table holds fewer than 2**30 rows")
    # Sort (key, row) packed in one uint64: numpy's SIMD sort beats argsort, and
    # rows stay ascending inside a bucket.
    packed = keys.astype(np.uint64) << np.uint64(32)
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    rows = packed.astype(np.uint32)  # the low 32 bits
    packed >>= np.uint64(32)
    skeys = packed.astype(np.uint32)
    del packed
    new = np.empty(n, dtype=np.bool_)
    new[:1] = True
    np.not_equal(skeys[1:], skeys[:-1], out=new[1:])
    first = np.flatnonzero(new)  # where each bucket starts in ``rows``
    del new
    key = skeys[first].astype(np.int64) * per_key  # its first slot
    del skeys
    count = np.diff(first, append=n)
    if slots is None:
        slots = np.empty((1 << width) * per_key, dtype=np.uint32)
    slots.fill(EMPTY)
    small = count <= per_key
    for i in range(per_key):
        sel = small & (count > i)
        slots[key[sel] + i] = rows[first[sel] + i]
    big = ~small
    key, first, count = key[big], first[big], count[big]
    head = np.cumsum(count + 1) - (count + 1)  # where each big bucket's list starts
    overflow = np.empty(int(count.sum()) + len(count), dtype=np.uint32)
    overflow[head] = count
    slots[key] = OVERFLOW | head.astype(np.uint32)
    is_row = np.ones(len(overflow), dtype=np.bool_)
    is_row[head] = False
    dest = np.flatnonzero(is_row)
    del is_row
    overflow[dest] = rows[dest + np.repeat(first - head - 1, count)]
    return slots, overflow


def build(
    keys: Callable[[int], U32], widths: list[int], n: int, threads: int = 1
) -> tuple[I64, I64, I64, U32, U32]:
    """Every table of a segment: ``keys(t)`` gives table ``t``'s chunk keys, ``widths``
    their sizes in bits.  Returns (slot bases, overflow bases, slots per key, slots,
    overflow), the tables concatenated."""
    per = [slots_per_key(n, w) for w in widths]
    sizes = [(1 << w) * p for w, p in zip(widths, per, strict=True)]
    bases = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    slots = np.empty(int(bases[-1]), dtype=np.uint32)

    def table(t: int) -> U32:
        return slot_table(keys(t), widths[t], per[t], slots[bases[t] : bases[t + 1]])[1]

    if threads > 1 and len(widths) > 1:
        with ThreadPoolExecutor(threads) as pool:
            overflows = list(pool.map(table, range(len(widths))))
    else:
        overflows = [table(t) for t in range(len(widths))]
    obases = np.concatenate([[0], np.cumsum([len(o) for o in overflows])]).astype(np.int64)
    overflow = np.concatenate(overflows) if overflows else np.zeros(0, np.uint32)
    return bases[:-1].copy(), obases[:-1].copy(), np.array(per, dtype=np.int64), slots, overflow
