"""The compiled kernels of :mod:`vigil.lib.hamming` (multi-index probe, brute-force scan).

Plain Python until :func:`_compile` replaces each with its numba dispatcher
(``njit(nogil=True, cache=True)``); callers reach them as attributes of this
module (``hamming_kernels._scan``), so they always get the compiled version.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

# The functions below are plain Python until :func:`_compile` replaces each with its
# numba dispatcher (``njit(nogil=True, cache=True)``): importing this module stays
# cheap, and numba is imported and the kernels compiled, or loaded from numba's
# on-disk cache, on the first search.
_compiled = False
_compile_lock = threading.Lock()
# How many probes ahead :func:`_probe_slots` prefetches a slot.
_AHEAD = 32
_KERNELS = (
    "_key",
    "_distances",
    "_exact",
    "_probe",
    "_probe_slots",
    "_search_segment",
    "_scan_rows",
    "_scan",
)


def _compile() -> None:
    global _compiled
    if _compiled:
        return
    with _compile_lock:
        if _compiled:
            return
        from numba import types
        from numba.extending import intrinsic

        @intrinsic  # type: ignore[misc]
        def popcnt(typingctx: Any, x: Any) -> Any:
            """Population count of a uint64 (one POPCNT instruction)."""

            def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
                return builder.ctpop(args[0])

            return types.uint64(types.uint64), codegen

        @intrinsic  # type: ignore[misc]
        def prefetch(typingctx: Any, arr: Any, idx: Any) -> Any:
            """Hint the CPU to fetch element ``idx`` of ``arr``'s data (flat index)."""

            def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
                from llvmlite import ir
                from numba.core import cgutils

                data = context.make_array(signature.args[0])(context, builder, args[0]).data
                i8p = ir.IntType(8).as_pointer()
                i32 = ir.IntType(32)
                fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
                fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
                ptr = builder.bitcast(builder.gep(data, [args[1]]), i8p)
                # read, high locality, data cache
                builder.call(fn, [ptr, i32(0), i32(3), i32(1)])
                return context.get_dummy_value()

            return types.void(arr, idx), codegen

        names = globals()
        names["_popcnt"] = popcnt
        names["_prefetch"] = prefetch
        for name in _KERNELS:
            names[name] = _jit(names[name])
        _compiled = True


def _jit(fn: Any) -> Any:
    """``numba.njit(nogil=True, cache=True)(fn)``; without the on-disk cache when no
    cache directory is writable (neither ``__pycache__`` next to this file, nor
    ``$NUMBA_CACHE_DIR``, nor ``~/.cache/numba``): numba then refuses ``cache=True``,
    and the kernels are compiled in every process instead (~12 s of CPU)."""
    import numba

    try:
        return numba.njit(nogil=True, cache=True)(fn)
    except RuntimeError:
        return numba.njit(nogil=True)(fn)


def _popcnt(x: Any) -> Any:  # replaced by a numba intrinsic in _compile
    return int(x).bit_count()


def _prefetch(arr: Any, idx: Any) -> None:  # replaced by a numba intrinsic in _compile
    """A hint to fetch ``arr.flat[idx]`` into the cache (no effect in plain Python)."""


def _key(queries, qi, w, shift, right):  # type: ignore[no-untyped-def]
    """A chunk's key in query ``qi``: ``(words[w] << shift | words[w + 1] >> (64 -
    shift)) >> right``."""
    x = queries[qi, w] << shift
    if shift != 0 and w < 3:
        x |= queries[qi, w + 1] >> (np.uint64(64) - shift)
    return x >> right


def _probe(  # type: ignore[no-untyped-def]
    queries,
    qi,
    radius,
    words,
    alive,
    perm,
    pre,
    pword,
    offsets,
    cword,
    cshift,
    cright,
    bases,
    mptr,
    masks,
    lo,
    hi,
    cut,
    found,
):
    """The live rows within ``radius`` of query ``qi``, written to ``found`` as
    ``row * 512 + distance``; returns how many, or ``-needed`` if ``found`` is too
    small to hold the candidates.

    Three passes whose memory reads are independent of each other, so that the CPU
    overlaps their cache misses: every probe's bucket bounds, then the rows of
    every bucket, then the exact distance of every candidate.  (A separate function
    with no array allocated or reassigned: hot loops without reference counting.)
    """
    nt = bases.shape[0]
    total = 0
    # 1. bucket bounds of every key within each chunk's probe radius
    for t in range(nt):
        key = _key(queries, qi, cword[t], cshift[t], cright[t])
        base = bases[t]
        for j in range(mptr[t], mptr[t + 1]):
            p = base + np.int64(key ^ masks[j])
            a = np.int64(offsets[p])
            b = np.int64(offsets[p + 1])
            lo[j] = a
            hi[j] = b
            total += b - a
    if total > found.shape[0]:
        return -total
    # 2. every bucket entry's position (a loop over small, unpredictable counts, but
    # on data in L1), then its distance on two other words stored in the table next
    # to it (a predictable loop of independent reads): a false candidate is ~64 bits
    # away there, a match at most ``radius``.
    nc = 0
    for t in range(nt):
        cut[t] = nc
        for j in range(mptr[t], mptr[t + 1]):
            for pos in range(lo[j], hi[j]):
                found[nc] = pos
                nc += 1
    cut[nt] = nc
    if pre.shape[0] == 0:  # a segment built without the prefilter (to save memory)
        return _exact(queries, qi, radius, words, alive, perm, found, nc)
    m = 0
    for t in range(nt):
        qa = queries[qi, pword[t, 0]]
        qb = queries[qi, pword[t, 1]]
        for k in range(cut[t], cut[t + 1]):
            pos = found[k]
            if _popcnt(pre[pos, 0] ^ qa) + _popcnt(pre[pos, 1] ^ qb) <= radius:
                found[m] = pos
                m += 1
    return _exact(queries, qi, radius, words, alive, perm, found, m)


def _probe_slots(  # type: ignore[no-untyped-def]
    queries,
    qi,
    radius,
    words,
    alive,
    slots,
    overflow,
    obases,
    per,
    cword,
    cshift,
    cright,
    bases,
    mptr,
    masks,
    where,
    spill,
    found,
):
    """:func:`_probe` for the slot layout (:mod:`vigil.lib.hamming_slots`): a probe
    reads its key's slots, which hold the bucket's rows (or where its overflow list
    is); then the overflow lists; then the exact distances.  Same return values.

    The slots' positions are computed first (``where``), then read, each prefetched
    ``_AHEAD`` probes before: the reading loop branches on every slot, and without
    the prefetches its cache misses overlapped less (prefetching all ~2,900 in one
    burst before reading any was 5-25% slower at 10M rows)."""
    nt = bases.shape[0]
    for t in range(nt):
        key = _key(queries, qi, cword[t], cshift[t], cright[t])
        base = bases[t]
        s = per[t]
        for j in range(mptr[t], mptr[t + 1]):
            p = base + np.int64(key ^ masks[j]) * s
            where[j] = p
    nprobe = mptr[nt]
    for j in range(min(_AHEAD, nprobe)):
        _prefetch(slots, where[j])
    nc = 0
    ns = 0
    for t in range(nt):
        s = per[t]
        ob = obases[t]
        for j in range(mptr[t], mptr[t + 1]):
            if j + _AHEAD < nprobe:
                _prefetch(slots, where[j + _AHEAD])
            p = where[j]
            for i in range(s):
                v = slots[p + i]
                if v < 0x80000000:
                    r = np.int64(v)
                    found[nc] = r
                    nc += 1
                    _prefetch(words, r * 4)
                    _prefetch(words, r * 4 + 3)
                elif v != 0xFFFFFFFF:
                    spill[ns] = ob + np.int64(v & 0x7FFFFFFF)
                    _prefetch(overflow, spill[ns])
                    ns += 1
    total = nc
    for k in range(ns):
        total += np.int64(overflow[spill[k]])
    if total > found.shape[0]:
        return -total
    for k in range(ns):
        o = spill[k]
        for i in range(o + 1, o + 1 + np.int64(overflow[o])):
            r = np.int64(overflow[i])
            found[nc] = r
            nc += 1
            _prefetch(words, r * 4)
            _prefetch(words, r * 4 + 3)
    return _distances(queries, qi, radius, words, alive, found, nc)


def _exact(queries, qi, radius, words, alive, perm, found, nc):  # type: ignore[no-untyped-def]
    """Pass 3 of :func:`_probe`: exact distance of the ``nc`` candidates in ``found``;
    matches overwrite the candidate list as ``row * 512 + distance``.

    Two loops, not one: first every candidate's row number (``perm``, whose reads are
    independent of each other), with a prefetch of that row's hash, then the
    distances.  One loop made each candidate two dependent cache misses (``perm``,
    then ``words``) and the CPU overlapped few of them: 1.3-1.6x slower at 10M rows.
    """
    for k in range(nc):
        r = np.int64(perm[found[k]])
        found[k] = r
        _prefetch(words, r * 4)
    return _distances(queries, qi, radius, words, alive, found, nc)


def _distances(queries, qi, radius, words, alive, found, nc):  # type: ignore[no-untyped-def]
    """The live rows among the ``nc`` rows in ``found`` within ``radius`` of query
    ``qi``, written over ``found`` as ``row * 512 + distance``; returns how many."""
    q0 = queries[qi, 0]
    q1 = queries[qi, 1]
    q2 = queries[qi, 2]
    q3 = queries[qi, 3]
    m = 0
    for k in range(nc):
        r = found[k]
        d = (
            _popcnt(words[r, 0] ^ q0)
            + _popcnt(words[r, 1] ^ q1)
            + _popcnt(words[r, 2] ^ q2)
            + _popcnt(words[r, 3] ^ q3)
        )
        if d <= radius and alive[r]:
            found[m] = r * 512 + np.int64(d)
            m += 1
    return m


def _search_segment(  # type: ignore[no-untyped-def]
    queries,
    radius,
    words,
    alive,
    perm,
    pre,
    pword,
    offsets,
    slots,
    overflow,
    obases,
    per,
    cword,
    cshift,
    cright,
    bases,
    mptr,
    masks,
):
    """(query number, row, distance) of every live row within ``radius`` of a query,
    sorted by query; a row appears once per chunk through which it was found.  The
    segment has either the slot layout (``slots`` not empty) or the CSR one."""
    nprobe = mptr[bases.shape[0]]
    lo = np.empty(nprobe, np.int64)
    hi = np.empty(nprobe, np.int64)
    cut = np.empty(bases.shape[0] + 1, np.int64)
    found = np.empty(4 * nprobe + 1024, np.int64)
    out = np.empty(1024, np.int64)
    out_q = np.empty(1024, np.int64)
    nout = 0
    args = (words, alive, perm, pre, pword, offsets, cword, cshift, cright, bases, mptr, masks)
    sargs = (words, alive, slots, overflow, obases, per, cword, cshift, cright, bases, mptr, masks)
    for qi in range(queries.shape[0]):
        if slots.shape[0]:
            m = _probe_slots(queries, qi, radius, *sargs, hi, lo, found)
            if m < 0:
                found = np.empty(-2 * m, np.int64)
                m = _probe_slots(queries, qi, radius, *sargs, hi, lo, found)
        else:
            m = _probe(queries, qi, radius, *args, lo, hi, cut, found)
            if m < 0:
                found = np.empty(-2 * m, np.int64)
                m = _probe(queries, qi, radius, *args, lo, hi, cut, found)
        if m == 0:
            continue
        if nout + m > out.shape[0]:
            out = np.concatenate((out[:nout], np.empty(nout + 2 * m, np.int64)))
            out_q = np.concatenate((out_q[:nout], np.empty(nout + 2 * m, np.int64)))
        out[nout : nout + m] = found[:m]
        out_q[nout : nout + m] = qi
        nout += m
    return out_q[:nout].copy(), out[:nout] >> 9, (out[:nout] & 511).astype(np.int32)


def _scan_rows(queries, qi, start, words, alive, radius, found):  # type: ignore[no-untyped-def]
    """Brute force for query ``qi`` from row ``start`` on: matches go to ``found`` as
    ``row * 512 + distance`` until it is full; returns (how many, next row)."""
    q0 = queries[qi, 0]
    q1 = queries[qi, 1]
    q2 = queries[qi, 2]
    q3 = queries[qi, 3]
    m = 0
    cap = found.shape[0]
    for r in range(start, words.shape[0]):
        d = (
            _popcnt(words[r, 0] ^ q0)
            + _popcnt(words[r, 1] ^ q1)
            + _popcnt(words[r, 2] ^ q2)
            + _popcnt(words[r, 3] ^ q3)
        )
        if d <= radius and alive[r]:
            found[m] = r * 512 + np.int64(d)
            m += 1
            if m == cap:
                return m, r + 1
    return m, words.shape[0]


def _scan(queries, words, alive, radius):  # type: ignore[no-untyped-def]
    """Exact brute force: (query number, row, distance) of every live row within
    ``radius``, sorted by query then row."""
    found = np.empty(4096, np.int64)
    out = np.empty(1024, np.int64)
    out_q = np.empty(1024, np.int64)
    nout = 0
    for qi in range(queries.shape[0]):
        start = 0
        while start < words.shape[0]:
            m, start = _scan_rows(queries, qi, start, words, alive, radius, found)
            if nout + m > out.shape[0]:
                out = np.concatenate((out[:nout], np.empty(nout + 2 * m, np.int64)))
                out_q = np.concatenate((out_q[:nout], np.empty(nout + 2 * m, np.int64)))
            out[nout : nout + m] = found[:m]
            out_q[nout : nout + m] = qi
            nout += m
    return out_q[:nout].copy(), out[:nout] >> 9, (out[:nout] & 511).astype(np.int32)
