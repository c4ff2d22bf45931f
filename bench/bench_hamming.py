"""Benchmark of vigil.lib.hamming.HammingIndex: build, range queries, memory, recall.

    .venv/bin/python bench/bench_hamming.py                 # 10M hashes, 100k queries
    .venv/bin/python bench/bench_hamming.py --n 1000000 --queries 20000
    .venv/bin/python bench/bench_hamming.py --distribution clustered --prefilter off

The index holds random 256-bit hashes (``--distribution uniform``) or clustered ones
(``clustered``: centres with about --cluster variants each, every variant 0-40 bits
from its centre, as a repository of series of near-identical pictures; queries are
drawn near centres too), plus, for half of the queries, one planted near-duplicate
at a known distance 0..31 from that query.  Every planted item must
be found at its distance, and on a sample of queries the full answer must equal an
independent brute-force scan (recall and precision 100%).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vigil.lib.hamming import HammingIndex  # noqa: E402


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KB on Linux


def flip_masks(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """(len(counts), 4) uint64 masks with exactly counts[i] bits set."""
    order = np.argsort(rng.random((len(counts), 256)), axis=1)
    bits = (order < counts[:, None]).astype(np.uint8)
    return np.packbits(bits, axis=1).view(">u8").astype(np.uint64)


def near_masks(rng: np.random.Generator, n: int, most: int) -> np.ndarray:
    """(n, 4) uint64 masks with about 0..most bits set each (uniform count; two draws
    of the same bit count once), in chunks: no (n, 256) temporary."""
    out = np.zeros((n, 4), dtype=np.uint64)
    for lo in range(0, n, 1 << 20):
        m = min(n, lo + (1 << 20)) - lo
        k = rng.integers(0, most + 1, size=m)
        pos = rng.integers(0, 256, size=(m, most))
        for j in range(most):
            on = j < k
            word, bit = pos[:, j] // 64, (63 - pos[:, j] % 64).astype(np.uint64)
            value = np.where(on, np.uint64(1) << bit, np.uint64(0))
            for w in range(4):
                out[lo : lo + m, w] |= np.where(word == w, value, np.uint64(0))
    return out


def brute(words: np.ndarray, q: np.ndarray, radius: int) -> set[tuple[int, int]]:
    d = np.zeros(len(words), dtype=np.int32)
    for k in range(4):
        d += np.bitwise_count(words[:, k] ^ q[k])
    rows = np.flatnonzero(d <= radius)
    return {(int(r), int(d[r])) for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000_000, help="hashes in the index")
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--radius", type=int, default=31)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--sample", type=int, default=100, help="queries checked by brute force")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--distribution", choices=("uniform", "clustered"), default="uniform")
    ap.add_argument("--cluster", type=int, default=20, help="variants per centre (clustered)")
    ap.add_argument(
        "--prefilter",
        choices=("auto", "on", "off"),
        default="auto",
        help="HammingIndex(prefilter=)",
    )
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    n, nq, r = args.n, args.queries, args.radius

    print(
        f"n={n:,} queries={nq:,} radius={r} threads={args.threads} cpus={os.cpu_count()} "
        f"distribution={args.distribution} prefilter={args.prefilter}"
    )
    t0, c0 = time.perf_counter(), time.process_time()
    if args.distribution == "clustered":
        centres = rng.integers(0, 2**64, size=(max(1, n // args.cluster), 4), dtype=np.uint64)
        words = centres[rng.integers(0, len(centres), size=n)] ^ near_masks(rng, n, 40)
        queries = centres[rng.integers(0, len(centres), size=nq)] ^ near_masks(rng, nq, 40)
        del centres
    else:
        words = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
        queries = rng.integers(0, 2**64, size=(nq, 4), dtype=np.uint64)
    planted = min(nq // 2, n)
    dist = rng.integers(0, r + 1, size=planted)
    slots = rng.choice(n, size=planted, replace=False)
    words[slots] = queries[:planted] ^ flip_masks(rng, dist)
    ids = np.arange(n, dtype=np.int64) * 3 + 1  # ids are not row numbers
    print(f"generated data in {time.process_time() - c0:.1f} s CPU; rss {rss_gb():.2f} GB")

    prefilter = {"auto": None, "on": True, "off": False}[args.prefilter]
    index = HammingIndex(threads=args.threads, prefilter=prefilter)
    rss0 = rss_gb()
    t0, c0 = time.perf_counter(), time.process_time()
    index.add(ids, words)
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"build: {build:.1f} s wall, {build_cpu:.1f} s CPU ({n / build:,.0f} hashes/s); "
        f"index {index.nbytes / 1e9:.2f} GB = {index.nbytes / n:.0f} bytes/hash "
        f"(x 10M = {index.nbytes / n * 1e7 / 1e9:.2f} GB); "
        f"peak rss {rss_gb():.2f} GB (data alone {rss0:.2f} GB)"
    )
    seg = index._segments[0] if index._segments else None
    if seg is not None:
        print("layout (bits, probe radius):", [(c.width, c.radius) for c in seg.chunks])

    t0 = time.perf_counter()
    index.search(_hex(queries[-1]), r)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.search(_hex(queries[-1]), r)
    print(
        f"first search: {first:.2f} s (JIT compile, or load from numba's cache), "
        f"then {time.perf_counter() - t0:.4f} s"
    )

    t0, c0 = time.perf_counter(), time.process_time()
    results = index.search_many(queries, r)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    hits = sum(len(x) for x in results)
    print(
        f"search_many: {nq:,} queries in {wall:.1f} s = {nq / wall:,.0f} queries/s "
        f"(cpu {cpu:.1f} s = {nq / cpu:,.0f} queries per cpu-second); {hits:,} hits; "
        f"peak rss {rss_gb():.2f} GB"
    )
    one = min(nq, 2000)
    t0 = time.perf_counter()
    for i in range(one):
        index.search(_hex(queries[i]), r)
    single = time.perf_counter() - t0
    print(f"search (one at a time): {one / single:,.0f} queries/s")

    ok = sum((int(ids[slots[j]]), int(dist[j])) in results[j] for j in range(planted))
    print(f"planted near-duplicates found at their distance: {ok:,}/{planted:,}")
    sample = np.concatenate(
        [
            rng.choice(planted, size=min(args.sample // 2, planted), replace=False),
            rng.choice(
                np.arange(planted, nq),
                size=min(args.sample - args.sample // 2, nq - planted),
                replace=False,
            ),
        ]
    ).astype(int)
    t0 = time.perf_counter()
    exact = 0
    for j in sample:
        expected = {(int(ids[row]), d) for row, d in brute(words, queries[j], r)}
        exact += expected == set(results[j])
    print(
        f"brute-force check: {exact}/{len(sample)} queries identical "
        f"({len(sample) / (time.perf_counter() - t0):.1f} brute-force queries/s)"
    )
    recall_ok = ok == planted and exact == len(sample)
    print("RECALL 100%" if recall_ok else "RECALL FAILURE")
    sys.exit(0 if recall_ok else 1)


def _hex(q: np.ndarray) -> str:
    return q.astype(">u8").tobytes().hex()


if __name__ == "__main__":
    main()
