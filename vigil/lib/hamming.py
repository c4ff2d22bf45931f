"""In-memory range search over 256-bit hashes (PDQ) by Hamming distance.

``HammingIndex.search(h, radius=31)`` returns every stored item within ``radius``
bits of ``h``: 100% recall, the same answer as a brute-force scan.

Design: multi-index hashing (Norouzi, Punjani & Fleet, "Fast exact search in Hamming
space with multi-index hashing", 2014) with the *general* pigeonhole principle; tables
built with numpy, searched by compiled kernels (numba).

* The 256 bits are cut into ``m`` contiguous chunks of ``b_i`` bits (``sum b_i = 256``)
  and each chunk gets a probe radius ``t_i`` (``t_i = -1``: chunk not indexed).
* Pigeonhole: if every chunk differed in at least ``t_i + 1`` bits, the hashes would
  differ in at least ``sum(t_i + 1)`` bits.  So with ``sum(t_i + 1) >= r + 1``, any
  item within distance ``r`` agrees with the query to within ``t_i`` bits on at least
  one chunk ``i``.  Probing, for every chunk, every key within ``t_i`` of the
  query's key therefore finds every true match (and some false candidates, which
  are removed by computing the exact 256-bit distance).  This holds for every
  ``r' <= r``, so an index laid out for radius 31 answers any radius up to 31;
  larger radii fall back to an exact scan (compiled too).
* The layout is picked per segment from a cost model (probes + expected candidates
  for uniformly random hashes) under a memory cap.  For 10M hashes and r = 31 it is
  11 chunks of 23-24 bits with t = 2 on ten of them and 1 on one: about 2,900 bucket
  probes and 2,900 candidates per query instead of 10M comparisons (32-bit chunks
  with t = 3: 44,000 probes; 16-bit ones with t = 1: 41,000 candidates).
* Segments of at most ``PREFILTER_MAX_ROWS`` (4M) rows, or every one with
  ``HammingIndex(prefilter=True)``: a CSR table per chunk, ``offsets`` (``2**b + 1``
  entries) giving per key a range of entries; entry ``k`` holds the row ``perm[k]``
  and ``pre[k]``, two of the row's words that the chunk does not touch (16 bytes).
  A false candidate is ~64 bits from the query on those 128 bits, a match at most
  ``r``: ``pre``, read where the bucket is, rejects almost every false candidate.
  The kernel (``_probe``) runs three passes whose memory reads do not depend on one
  another, so the CPU overlaps the cache misses: bucket bounds, ``pre`` distances,
  exact distances of the survivors.  At 10M, 3.1 GB (``pre`` 1.76 GB).
* Bigger segments: the slot layout (vigil/lib/hamming_slots.py), where a key's one
  or two uint32 slots hold the bucket's rows themselves (or point to its overflow
  list), so a probe is one cache miss, not two (bounds, then rows); the kernel
  (``_probe_slots``) reads the probes' slots prefetched 32 ahead, collects the rows,
  prefetching each row's hash (both cache lines: half the 32-byte rows straddle
  two), then computes the distances.  At 10M: hashes 320 MB + ids 80 MB + slots
  0.74 GB + overflow 0.2-0.3 GB, about 1.4 GB.
* Kernels are ``numba.njit(nogil=True, cache=True)`` on a thread pool (as fast as
  numba's ``prange`` on 2 cores; safe for concurrent searches).  numba is imported,
  and the kernels compiled (~12 s of CPU) or loaded from its on-disk cache
  (``$NUMBA_CACHE_DIR`` when set, else ``__pycache__`` next to this file, else
  ``~/.cache/numba``; none when none is writable), on the first search.
* Incremental: new hashes go to a small tail scanned by brute force; a full tail
  becomes an immutable segment; segments are merged size-tiered (a segment is merged
  into the previous one when that one is at most 4x its size), so there are
  O(log N) segments and each hash is rebuilt O(log N) times.  ``remove`` marks
  rows dead; a segment that is mostly dead is rebuilt.

Concurrency: ``add``/``remove`` serialise on a lock; searches take a snapshot under
that lock and then run without it, so searches never block each other.

The same id may be added more than once (e.g. every frame hash of one video): a
search reports each id once, at its smallest distance.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from vigil.lib import hamming_kernels as _k
from vigil.lib import hamming_slots as _slots
from vigil.lib.hamming_kernels import _jit  # noqa: F401  (tests compile their own kernel)

__all__ = ["DEFAULT_RADIUS", "HammingIndex", "hashes_to_words", "words_to_hex"]

DEFAULT_RADIUS = 31
BITS = 256
WORDS = BITS // 64

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

# A tail bigger than this is turned into an indexed segment.
_TAIL_MAX = 4096
# Merge a new segment into the previous one when that one is at most this many times bigger.
_MERGE_RATIO = 4
# Rebuild a segment when this fraction of its rows has been removed.
_DEAD_REBUILD = 0.5
# A segment of more rows is built without the ``pre`` prefilter (16 bytes per row and
# table: 1.76 GB of 3.1 GB at 10M hashes), in the slot layout.
PREFILTER_MAX_ROWS = 4_000_000
# Queries per task when a search is spread over threads.
_BATCH = 1024
_MIN_BATCH = 16

# --------------------------------------------------------------------------- conversion


def hashes_to_words(hashes: Iterable[str] | npt.ArrayLike) -> U64:
    """Hashes to an (n, 4) uint64 array, word 0 = the first 16 hex digits.

    Accepts hex strings, an (n, 4) uint64 array, or an (n, 32) uint8 array (bytes).
    """
    if isinstance(hashes, np.ndarray):
        arr = hashes
        if arr.ndim == 2 and arr.shape[1] == WORDS and arr.dtype == np.uint64:
            return np.ascontiguousarray(arr)
        if arr.ndim == 2 and arr.shape[1] == BITS // 8 and arr.dtype == np.uint8:
            return np.ascontiguousarray(arr).view(">u8").astype(np.uint64)
        if arr.ndim == 1 and arr.dtype.kind in "US":
            hashes = arr.tolist()
        elif arr.size == 0:
            return np.zeros((0, WORDS), dtype=np.uint64)
        else:
            raise ValueError(f"cannot read hashes from an array {arr.shape} {arr.dtype}")
    if isinstance(hashes, str):
        hashes = [hashes]
    items: list[str] = list(hashes)  # type: ignore[arg-type]
    if not items:
        return np.zeros((0, WORDS), dtype=np.uint64)
    for h in items:
        if not isinstance(h, str) or len(h) != BITS // 4:
            raise ValueError(f"not a 64-hex-digit hash: {h!r}")
    try:
        raw = bytes.fromhex("".join(items))
    except ValueError as exc:
        raise ValueError("hash contains a non-hex character") from exc
    if len(raw) != len(items) * (BITS // 8):  # fromhex skips whitespace
        raise ValueError("hash contains a non-hex character")
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, WORDS)


def words_to_hex(words: U64) -> list[str]:
    """Inverse of :func:`hashes_to_words`."""
    raw = np.ascontiguousarray(words, dtype=np.uint64).astype(">u8").tobytes()
    h = raw.hex()
    return [h[i : i + 64] for i in range(0, len(h), 64)]


def _chunk_keys(words: U64, start: int, width: int) -> npt.NDArray[np.uint32]:
    """Bits [start, start + width) of each hash (bit 0 = MSB of word 0) as uint32."""
    w, o = divmod(start, 64)
    mask = np.uint64((1 << width) - 1)
    if o + width <= 64:
        key = (words[:, w] >> np.uint64(64 - o - width)) & mask
    else:
        hi = 64 - o
        lo = width - hi
        key = ((words[:, w] & np.uint64((1 << hi) - 1)) << np.uint64(lo)) | (
            words[:, w + 1] >> np.uint64(64 - lo)
        )
    return key.astype(np.uint32)


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Chunk:
    start: int
    width: int
    radius: int  # -1: not indexed


def _ball(width: int, radius: int) -> int:
    return sum(math.comb(width, k) for k in range(radius + 1))


def choose_layout(n: int, radius: int = DEFAULT_RADIUS) -> list[Chunk]:
    """Chunks and per-chunk probe radii with ``sum(t_i + 1) >= radius + 1``.

    Minimises probes + expected candidates per query for ``n`` uniformly random
    hashes, keeping each table at most ``max(2**12, 2n)`` buckets.
    """
    n = max(n, 1)
    max_width = min(32, max(12, math.floor(math.log2(2 * n))))
    best: tuple[float, list[Chunk]] | None = None
    for m in range(max(1, math.ceil(BITS / max_width)), BITS // 4 + 1):
        base, extra = divmod(BITS, m)
        widths = [base + 1] * extra + [base] * (m - extra)
        if max(widths) > max_width:
            continue
        radii = [-1] * m

        def cost(width: int, t: int) -> float:
            if t < 0:
                return 0.0
            return _ball(width, t) * (1.0 + n / 2.0**width)

        while sum(t + 1 for t in radii) < radius + 1:
            i = min(
                range(m),
                key=lambda i: cost(widths[i], radii[i] + 1) - cost(widths[i], radii[i]),
            )
            radii[i] += 1
        total = sum(cost(w, t) for w, t in zip(widths, radii, strict=True))
        if best is None or total < best[0]:
            chunks, pos = [], 0
            for w, t in zip(widths, radii, strict=True):
                chunks.append(Chunk(pos, w, t))
                pos += w
            best = (total, chunks)
    assert best is not None
    return best[1]


def _masks(width: int, radius: int) -> npt.NDArray[np.uint32]:
    """Every ``width``-bit value with at most ``radius`` bits set."""
    out = [0]
    for k in range(1, radius + 1):
        for bits in itertools.combinations(range(width), k):
            out.append(sum(1 << b for b in bits))
    return np.array(out, dtype=np.uint32)


# --------------------------------------------------------------------------- segments


def _overlap(c: Chunk, w: int) -> int:
    """Bits of chunk ``c`` in word ``w``."""
    return max(0, min(c.start + c.width, 64 * (w + 1)) - max(c.start, 64 * w))


@dataclass
class _Segment:
    """An immutable multi-index over some rows; removal only flips ``alive``.

    CSR: ``perm[t*n : (t+1)*n]`` holds table ``t``'s rows sorted by chunk key,
    ``offsets[bases[t] + key]`` (shifted by ``t*n``) where that key's rows start.
    Slots: ``slots[bases[t] + key * per[t]]``, lists at ``overflow[obases[t] + i]``.
    Chunk ``t``'s probe masks are ``masks[mptr[t] : mptr[t + 1]]``, its key
    ``((words[cword] << cshift | words[cword + 1] >> (64 - cshift)) >> cright``.
    """

    words: U64
    ids: I64
    alive: npt.NDArray[np.bool_]
    radius: int
    chunks: list[Chunk] = field(default_factory=list)
    perm: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(0, np.uint32))
    offsets: npt.NDArray[Any] = field(default_factory=lambda: np.zeros(1, np.uint32))
    pre: U64 = field(default_factory=lambda: np.zeros((0, 2), np.uint64))
    pword: I64 = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    slots: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(0, np.uint32))
    overflow: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(0, np.uint32))
    obases: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    per: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    bases: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    mptr: I64 = field(default_factory=lambda: np.zeros(1, np.int64))
    masks: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, np.uint64))
    cword: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    cshift: U64 = field(default_factory=lambda: np.zeros(0, np.uint64))
    cright: U64 = field(default_factory=lambda: np.zeros(0, np.uint64))

    @classmethod
    def build(
        cls, words: U64, ids: I64, radius: int, threads: int = 1, prefilter: bool | None = None
    ) -> _Segment:
        n = len(words)
        if n >= 2**32:
            raise ValueError("a segment holds fewer than 2**32 hashes")
        seg = cls(words, ids, np.ones(n, dtype=np.bool_), radius)
        seg.chunks = [c for c in choose_layout(n, radius) if c.radius >= 0]
        if prefilter is None:
            prefilter = n <= PREFILTER_MAX_ROWS
        if not prefilter:
            seg._build_slots(threads)
            return seg
        sizes = [(1 << c.width) + 1 for c in seg.chunks]
        bases = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        off_type = np.uint32 if n * len(seg.chunks) < 2**32 else np.int64
        seg.perm = np.empty(n * len(seg.chunks), dtype=np.uint32)
        seg.offsets = np.empty(int(bases[-1]), dtype=off_type)
        # Per table, the two words the chunk does not touch (or touches least).
        seg.pword = np.array(
            [sorted(range(WORDS), key=functools.partial(_overlap, c))[:2] for c in seg.chunks],
            dtype=np.int64,
        ).reshape(-1, 2)
        seg.pre = np.empty((n * len(seg.chunks), 2), dtype=np.uint64)
        # The words of ``pre`` for each distinct pair, contiguous: a gather of 16-byte
        # rows into ``pre`` is several times faster than two strided ones.
        pairs = {
            pair: np.ascontiguousarray(words[:, list(pair)])
            for pair in {tuple(p) for p in seg.pword.tolist()}
        }

        def fill(t: int) -> None:
            c = seg.chunks[t]
            keys = _chunk_keys(words, c.start, c.width)
            # Sort (key, row) packed in one uint64: numpy's SIMD sort beats argsort,
            # and rows stay ascending inside a bucket.
            packed = keys.astype(np.uint64) << np.uint64(32)
            packed |= np.arange(n, dtype=np.uint64)
            packed.sort()
            rows = (packed & np.uint64(0xFFFFFFFF)).astype(np.intp)
            del packed
            seg.perm[t * n : (t + 1) * n] = rows
            np.take(pairs[tuple(seg.pword[t])], rows, axis=0, out=seg.pre[t * n : (t + 1) * n])
            del rows
            counts = np.bincount(keys, minlength=1 << c.width)
            out = seg.offsets[bases[t] : bases[t + 1]]
            out[0] = t * n
            np.cumsum(counts, out=out[1:])
            out[1:] += t * n

        if threads > 1 and len(seg.chunks) > 1:
            # The sorts release the GIL: tables build in parallel.
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(fill, range(len(seg.chunks))))
        else:
            for t in range(len(seg.chunks)):
                fill(t)
        seg.bases = bases[:-1].copy()
        seg._set_probes()
        return seg

    def _build_slots(self, threads: int) -> None:
        """The slot layout (vigil/lib/hamming_slots.py) of every indexed chunk; one
        table at a time past 4M rows (peak memory)."""
        chunks, words = self.chunks, self.words
        threads = threads if len(words) <= PREFILTER_MAX_ROWS else 1
        tables = _slots.build(
            lambda t: _chunk_keys(words, chunks[t].start, chunks[t].width),
            [c.width for c in chunks],
            len(words),
            threads,
        )
        self.bases, self.obases, self.per, self.slots, self.overflow = tables
        self._set_probes()

    def _set_probes(self) -> None:
        masks = [_masks(c.width, c.radius) for c in self.chunks]
        self.mptr = np.concatenate([[0], np.cumsum([len(m) for m in masks])]).astype(np.int64)
        self.masks = np.concatenate(masks).astype(np.uint64)
        self.cword = np.array([c.start // 64 for c in self.chunks], dtype=np.int64)
        self.cshift = np.array([c.start % 64 for c in self.chunks], dtype=np.uint64)
        self.cright = np.array([64 - c.width for c in self.chunks], dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def live(self) -> int:
        return int(self.alive.sum())

    @property
    def nbytes(self) -> int:
        arrays = (self.words, self.ids, self.alive, self.perm, self.pre, self.offsets)
        return sum(a.nbytes for a in arrays) + self.slots.nbytes + self.overflow.nbytes

    def search(self, queries: U64, radius: int) -> tuple[I64, I64, npt.NDArray[np.int32]]:
        """(query number, id, distance) of every live row within ``radius``; an id may
        repeat (when it was added more than once)."""
        _k._compile()
        if radius > self.radius:
            q, r, d = _k._scan(queries, self.words, self.alive, radius)
        else:
            q, r, d = _k._search_segment(
                queries,
                radius,
                self.words,
                self.alive,
                self.perm,
                self.pre,
                self.pword,
                self.offsets,
                self.slots,
                self.overflow,
                self.obases,
                self.per,
                self.cword,
                self.cshift,
                self.cright,
                self.bases,
                self.mptr,
                self.masks,
            )
        return q, self.ids[r], d


# --------------------------------------------------------------------------- index


class HammingIndex:
    """Exact range search over 256-bit hashes; see the module docstring.

    ``max_radius`` is the largest radius served by the multi-index (default 31);
    larger radii are answered exactly by a scan.  ``threads`` defaults to the CPU count.
    """

    def __init__(
        self,
        max_radius: int = DEFAULT_RADIUS,
        threads: int | None = None,
        prefilter: bool | None = None,
    ) -> None:
        if not 0 <= max_radius < BITS:
            raise ValueError("max_radius must be in 0..255")
        self.max_radius = max_radius
        # True/False: every segment with/without ``pre``; None: only segments of at
        # most PREFILTER_MAX_ROWS rows (memory under 2 GB at 10M hashes).
        self.prefilter = prefilter
        self.threads = max(1, threads or os.cpu_count() or 1)
        self._segments: list[_Segment] = []
        self._tail_words: U64 = np.zeros((0, WORDS), dtype=np.uint64)
        self._tail_ids: I64 = np.zeros(0, dtype=np.int64)
        # Writers hold it; readers only to take a snapshot (see _run).
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ building

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[int, str]], max_radius: int = DEFAULT_RADIUS
    ) -> HammingIndex:
        """Build from ``(id, hex_hash)`` pairs in one go (one segment, no merging)."""
        ids: list[int] = []
        hashes: list[str] = []
        for i, h in pairs:
            ids.append(int(i))
            hashes.append(h)
        index = cls(max_radius=max_radius)
        index.add(ids, hashes)
        return index

    def add(self, ids: npt.ArrayLike, hashes: Sequence[str] | npt.ArrayLike) -> None:
        """Add items.  ``hashes``: hex strings, (n, 4) uint64 or (n, 32) uint8."""
        words = hashes_to_words(hashes)  # type: ignore[arg-type]
        id_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(id_arr) != len(words):
            raise ValueError(f"{len(id_arr)} ids for {len(words)} hashes")
        if len(words) == 0:
            return
        with self._lock:
            self._add(id_arr, words)

    def _add(self, id_arr: I64, words: U64) -> None:
        if len(words) > _TAIL_MAX:
            self._push_segment(words, id_arr)
            return
        self._tail_words = np.concatenate([self._tail_words, words])
        self._tail_ids = np.concatenate([self._tail_ids, id_arr])
        if len(self._tail_ids) > _TAIL_MAX:
            words, id_arr = self._tail_words, self._tail_ids
            self._tail_words = np.zeros((0, WORDS), dtype=np.uint64)
            self._tail_ids = np.zeros(0, dtype=np.int64)
            self._push_segment(words, id_arr)

    def _push_segment(self, words: U64, ids: I64) -> None:
        segments = list(self._segments)
        while segments and len(segments[-1]) <= _MERGE_RATIO * len(words):
            prev = segments.pop()
            keep = prev.alive
            words = np.concatenate([prev.words[keep], words])
            ids = np.concatenate([prev.ids[keep], ids])
        segments.append(_Segment.build(words, ids, self.max_radius, self.threads, self.prefilter))
        self._segments = segments  # searches in flight keep the list they took

    def remove(self, ids: npt.ArrayLike) -> int:
        """Remove every row whose id is in ``ids``; returns how many rows went."""
        gone = np.unique(np.asarray(ids, dtype=np.int64).reshape(-1))
        with self._lock:
            return self._remove(gone)

    def _remove(self, gone: I64) -> int:
        removed = 0
        if len(self._tail_ids):
            drop = np.isin(self._tail_ids, gone)
            removed += int(drop.sum())
            self._tail_words = self._tail_words[~drop]
            self._tail_ids = self._tail_ids[~drop]
        segments = list(self._segments)
        for i, seg in enumerate(segments):
            drop = np.isin(seg.ids, gone) & seg.alive
            n = int(drop.sum())
            if n:
                removed += n
                seg.alive &= ~drop  # in place: a search in flight may see either state
                if seg.live < (1 - _DEAD_REBUILD) * len(seg):
                    keep = seg.alive
                    segments[i] = _Segment.build(
                        seg.words[keep],
                        seg.ids[keep],
                        self.max_radius,
                        self.threads,
                        self.prefilter,
                    )
        self._segments = [s for s in segments if len(s)]
        return removed

    def __len__(self) -> int:
        return len(self._tail_ids) + sum(s.live for s in self._segments)

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the index, in bytes."""
        tail = self._tail_words.nbytes + self._tail_ids.nbytes
        return tail + sum(s.nbytes for s in self._segments)

    # ------------------------------------------------------------------ searching

    def search(self, hash_hex: str, radius: int = DEFAULT_RADIUS) -> list[tuple[int, int]]:
        """``[(id, distance), ...]`` within ``radius``, nearest first (then by id)."""
        return self.search_many([hash_hex], radius)[0]

    def search_many(
        self, hashes: Sequence[str] | npt.ArrayLike, radius: int = DEFAULT_RADIUS
    ) -> list[list[tuple[int, int]]]:
        """:meth:`search` for many queries at once (vectorised, multi-threaded)."""
        q, ids, d, nq = self._run(hashes, radius)
        out: list[list[tuple[int, int]]] = [[] for _ in range(nq)]
        if len(q):
            bounds = [*(np.flatnonzero(np.diff(q)) + 1).tolist(), len(q)]
            q_list, id_list, d_list = q.tolist(), ids.tolist(), d.tolist()
            lo = 0
            for hi in bounds:
                out[q_list[lo]] = list(zip(id_list[lo:hi], d_list[lo:hi], strict=True))
                lo = hi
        return out

    def search_arrays(
        self, hashes: Sequence[str] | npt.ArrayLike, radius: int = DEFAULT_RADIUS
    ) -> tuple[I64, I64, npt.NDArray[np.int32]]:
        """Flat result arrays (query number, id, distance), sorted by query, distance, id.

        The cheapest form for bulk matching: no Python object per hit.
        """
        q, ids, d, _nq = self._run(hashes, radius)
        return q, ids, d

    def _run(
        self, hashes: Sequence[str] | npt.ArrayLike, radius: int
    ) -> tuple[I64, I64, npt.NDArray[np.int32], int]:
        if radius < 0:
            raise ValueError("radius must be >= 0")
        queries = hashes_to_words(hashes)  # type: ignore[arg-type]
        nq = len(queries)
        _k._compile()
        # A consistent view: writers replace these objects, they never resize them.
        with self._lock:
            view = (list(self._segments), self._tail_words, self._tail_ids)
        # Enough tasks to keep every thread busy; few queries stay on this thread.
        size = max(_MIN_BATCH, min(_BATCH, -(-nq // self.threads)))
        starts = list(range(0, nq, size))

        def batch(s: int) -> tuple[I64, I64, npt.NDArray[np.int32]]:
            q, ids, d = self._search_batch(view, queries[s : s + size], radius)
            return q + s, ids, d

        if self.threads > 1 and len(starts) > 1:
            with ThreadPoolExecutor(min(self.threads, len(starts))) as pool:
                parts = list(pool.map(batch, starts))
        else:
            parts = [batch(s) for s in starts]
        if not parts:
            e = np.zeros(0, dtype=np.int64)
            return e, e, np.zeros(0, dtype=np.int32), nq
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            nq,
        )

    @staticmethod
    def _search_batch(
        view: tuple[list[_Segment], U64, I64], queries: U64, radius: int
    ) -> tuple[I64, I64, npt.NDArray[np.int32]]:
        segments, tail_words, tail_ids = view
        qs: list[I64] = []
        ids: list[I64] = []
        ds: list[npt.NDArray[np.int32]] = []
        for seg in segments:
            q, i, d = seg.search(queries, radius)
            qs.append(q)
            ids.append(i)
            ds.append(d)
        if len(tail_ids):
            q, r, d = _k._scan(queries, tail_words, np.ones(len(tail_ids), np.bool_), radius)
            qs.append(q)
            ids.append(tail_ids[r])
            ds.append(d)
        if not qs:
            e = np.zeros(0, dtype=np.int64)
            return e, e, np.zeros(0, dtype=np.int32)
        q, i, d = np.concatenate(qs), np.concatenate(ids), np.concatenate(ds)
        if not len(q):
            return q, i, d
        # One entry per (query, id), at its smallest distance; then nearest first.
        order = np.lexsort((d, i, q))
        q, i, d = q[order], i[order], d[order]
        first = np.ones(len(q), dtype=np.bool_)
        first[1:] = (q[1:] != q[:-1]) | (i[1:] != i[:-1])
        q, i, d = q[first], i[first], d[first]
        order = np.lexsort((i, d, q))
        return q[order], i[order], d[order]
