"""Tests of vigil.lib.hamming: exact range search (100% recall against brute force).

Run: .venv/bin/python -m pytest -p no:django vigil/lib/tests/test_hamming.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from vigil.lib import hamming, hamming_slots
from vigil.lib.hamming import HammingIndex, choose_layout, hashes_to_words, words_to_hex
from vigil.testing import conformance

DATA = conformance.PDQ


def _random(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)


def _flip(words: np.ndarray, bits: list[int]) -> np.ndarray:
    out = words.copy()
    for b in bits:
        out[b // 64] ^= np.uint64(1 << (63 - b % 64))
    return out


def _brute(
    words: np.ndarray, ids: np.ndarray, query: np.ndarray, radius: int
) -> list[tuple[int, int]]:
    d = sum(np.bitwise_count(words[:, k] ^ query[k]).astype(np.int32) for k in range(4))
    best: dict[int, int] = {}
    for row in np.flatnonzero(d <= radius):
        i = int(ids[row])
        best[i] = min(best.get(i, 999), int(d[row]))
    return sorted(((i, dd) for i, dd in best.items()), key=lambda x: (x[1], x[0]))


def _clustered(rng: np.random.Generator, n: int, centres: int = 50) -> np.ndarray:
    """Hashes around a few centres at distances 0..40: many true neighbours."""
    base = _random(rng, centres)
    words = base[rng.integers(0, centres, size=n)]
    counts = rng.integers(0, 41, size=n)
    order = np.argsort(rng.random((n, 256)), axis=1)
    masks = np.packbits((order < counts[:, None]).astype(np.uint8), axis=1)
    return words ^ masks.view(">u8").astype(np.uint64)


# --------------------------------------------------------------------------- conformance


def _needles_haystack() -> tuple[list[str], list[str], set[tuple[int, int, int]]]:
    needles = (DATA / "reg-test-input" / "needles.txt").read_text().split()
    haystack = (DATA / "reg-test-input" / "haystack.txt").read_text().split()
    with (DATA / "needles_haystack_matches_d32.csv").open(newline="") as fh:
        expected = {
            (int(r["needle_line0"]), int(r["haystack_line0"]), int(r["hamming_distance"]))
            for r in csv.DictReader(fh)
        }
    return needles, haystack, expected


@pytest.mark.parametrize("how", ["from_pairs", "tail", "segments", "segments_no_prefilter"])
def test_it_finds_exactly_the_250_needle_haystack_pairs(how: str) -> None:
    needles, haystack, expected = _needles_haystack()
    assert len(needles) == 100 and len(haystack) == 1350 and len(expected) == 250
    if how == "from_pairs":
        index = HammingIndex.from_pairs(enumerate(haystack))
    else:
        # Without the prefilter (what segments over PREFILTER_MAX_ROWS get): same answers.
        index = HammingIndex(prefilter=False if how == "segments_no_prefilter" else None)
        how = how.removesuffix("_no_prefilter")
        if how == "segments":
            # Random padding forces indexed segments; ids >= 10_000 mark it.
            rng = np.random.default_rng(1)
            index.add(np.arange(10_000, 30_000), _random(rng, 20_000))
            assert index._segments
        for start in range(0, len(haystack), 100):  # incrementally
            chunk = haystack[start : start + 100]
            index.add(range(start, start + len(chunk)), chunk)
        if how == "segments":
            index.add(np.arange(30_000, 40_000), _random(np.random.default_rng(2), 10_000))
            if index.prefilter is False:
                assert all(len(seg.pre) == 0 for seg in index._segments)
    results = index.search_many(needles, radius=31)
    got = {(n, i, d) for n, hits in enumerate(results) for i, d in hits if i < 10_000}
    assert got == expected
    assert all(i < 10_000 for hits in results for i, _ in hits)  # random padding is far
    assert sum(1 for _, _, d in got if d == 0) == 50
    assert all(hits for hits in results)
    for n in (0, 17, 99):
        assert index.search(needles[n]) == results[n]
        assert [d for _, d in results[n]] == sorted(d for _, d in results[n])


def test_it_matches_nothing_past_radius_31_in_the_haystack() -> None:
    needles, haystack, expected = _needles_haystack()
    index = HammingIndex.from_pairs(enumerate(haystack))
    at_32 = {(n, i, d) for n, hits in enumerate(index.search_many(needles, 32)) for i, d in hits}
    assert {x for x in at_32 if x[2] <= 31} == expected  # README: no pair at exactly 32
    tight = {(n, i, d) for n, hits in enumerate(index.search_many(needles, 10)) for i, d in hits}
    assert tight == {x for x in expected if x[2] <= 10}


# --------------------------------------------------------------------------- threshold edge


@pytest.mark.parametrize("n", [100, 30_000])
def test_it_matches_at_31_and_not_at_32(n: int) -> None:
    rng = np.random.default_rng(n)
    index = HammingIndex()
    index.add(np.arange(n) + 1_000_000, _random(rng, n))
    base = _random(rng, 1)[0]
    bits = list(rng.choice(256, size=32, replace=False))
    index.add([31, 32], np.stack([_flip(base, bits[:31]), _flip(base, bits)]))
    q = words_to_hex(base[None, :])[0]
    assert index.search(q, radius=31) == [(31, 31)]
    assert index.search(q, radius=32) == [(31, 31), (32, 32)]
    assert index.search(q, radius=30) == []


@pytest.mark.parametrize("prefilter", [None, False])  # CSR + pre, and the slot layout
def test_it_survives_the_pigeonhole_worst_case(prefilter: bool | None) -> None:
    """Distance 31 spread so that only one chunk is within its probe radius."""
    rng = np.random.default_rng(3)
    n = 40_000
    chunks = [c for c in choose_layout(n, 31) if c.radius >= 0]
    assert sum(c.radius + 1 for c in chunks) >= 32
    base = _random(rng, 1)[0]
    planted, wanted = [], []
    for j, only in enumerate(chunks):
        # Every other chunk gets radius+1 flips (just out of reach); `only` gets its
        # radius, so the multi-index can find the item through that chunk alone.
        bits: list[int] = []
        for c in chunks:
            k = c.radius if c is only else c.radius + 1
            bits += list(rng.choice(np.arange(c.start, c.start + c.width), size=k, replace=False))
        assert len(bits) <= 31
        planted.append(_flip(base, bits))
        wanted.append((j, len(bits)))
    filler = _random(rng, n - len(planted))
    index = HammingIndex(prefilter=prefilter)
    index.add(
        np.concatenate([[j for j, _ in wanted], np.arange(len(filler)) + 10_000]),
        np.concatenate([np.stack(planted), filler]),
    )
    assert len(index._tail_ids) == 0 and len(index._segments) == 1
    assert index._segments[0].chunks == chunks
    found = index.search(words_to_hex(base[None, :])[0], radius=31)
    assert sorted(found) == sorted(wanted)
    assert {d for _, d in wanted} == {31}


# --------------------------------------------------------------------------- vs brute force


@pytest.mark.parametrize("prefilter", [None, False])
@pytest.mark.parametrize("radius", [0, 7, 31, 40])
def test_it_equals_brute_force(radius: int, prefilter: bool | None) -> None:
    rng = np.random.default_rng(radius)
    words = _clustered(rng, 12_000)
    ids = rng.permutation(len(words)).astype(np.int64) * 7
    index = HammingIndex(prefilter=prefilter)
    index.add(ids, words)
    queries = np.concatenate([_clustered(rng, 60), _random(rng, 20), words[:10]])
    results = index.search_many(queries, radius)
    for q, got in zip(queries, results, strict=True):
        assert got == _brute(words, ids, q, radius)
    assert any(results)


def test_it_stays_exact_through_incremental_adds_and_merges() -> None:
    rng = np.random.default_rng(11)
    words = _clustered(rng, 14_000, centres=30)
    ids = np.arange(len(words), dtype=np.int64)
    index = HammingIndex(threads=1)
    pos = 0
    for size in [1, 50, 3000, 2000, 4000, 100, 4800, 49]:
        index.add(ids[pos : pos + size], words[pos : pos + size])
        pos += size
    assert pos == len(words) and len(index) == len(words)
    assert len(index._segments) >= 1
    queries = _clustered(rng, 40, centres=30)
    for q, got in zip(queries, index.search_many(queries), strict=True):
        assert got == _brute(words, ids, q, 31)


@pytest.mark.parametrize("prefilter", [None, False])
def test_it_removes_items(prefilter: bool | None) -> None:
    rng = np.random.default_rng(5)
    words = _clustered(rng, 9000, centres=20)
    ids = np.arange(len(words), dtype=np.int64)
    index = HammingIndex(prefilter=prefilter)
    index.add(ids[:8000], words[:8000])
    index.add(ids[8000:], words[8000:])  # some in the tail
    gone = rng.choice(ids, size=3000, replace=False)
    assert index.remove(gone) == 3000
    assert index.remove(gone) == 0
    assert len(index) == 6000
    keep = ~np.isin(ids, gone)
    queries = _clustered(rng, 20, centres=20)
    for q, got in zip(queries, index.search_many(queries), strict=True):
        assert got == _brute(words[keep], ids[keep], q, 31)
    # Removing most of a segment rebuilds it without the dead rows.
    index.remove(ids[:7000])
    assert len(index) == len(set(ids[7000:]) - set(gone.tolist()))
    assert all(s.live == len(s) for s in index._segments)


def test_it_reports_a_repeated_id_once_at_its_best_distance() -> None:
    rng = np.random.default_rng(8)
    base = _random(rng, 1)[0]
    frames = np.stack([_flip(base, list(range(k))) for k in (20, 3, 9)])  # one video
    index = HammingIndex()
    index.add([7, 7, 7], frames)
    index.add([8], _flip(base, [100, 101])[None, :])
    assert index.search(words_to_hex(base[None, :])[0]) == [(8, 2), (7, 3)]


# --------------------------------------------------------------------------- API details


def test_it_accepts_hex_uint64_and_bytes() -> None:
    rng = np.random.default_rng(9)
    words = _random(rng, 5)
    hexes = words_to_hex(words)
    assert all(len(h) == 64 for h in hexes)
    assert (hashes_to_words(hexes) == words).all()
    assert (hashes_to_words([h.upper() for h in hexes]) == words).all()
    as_bytes = np.frombuffer(b"".join(bytes.fromhex(h) for h in hexes), dtype=np.uint8)
    assert (hashes_to_words(as_bytes.reshape(5, 32)) == words).all()
    assert hexes[0][:16] == f"{int(words[0, 0]):016x}"  # word 0 = first 16 hex digits
    for bad in (["abc"], ["zz" * 32], [" " + "0" * 63], [1234]):
        with pytest.raises(ValueError):
            hashes_to_words(bad)


def test_it_handles_empty_inputs() -> None:
    index = HammingIndex()
    assert len(index) == 0
    assert index.search("0" * 64) == []
    assert index.search_many([]) == []
    index.add([], [])
    with pytest.raises(ValueError):
        index.add([1, 2], ["0" * 64])
    with pytest.raises(ValueError):
        index.search("0" * 64, radius=-1)


def test_it_batches_search_many_like_search() -> None:
    rng = np.random.default_rng(12)
    words = _clustered(rng, 6000, centres=10)
    index = HammingIndex(threads=2)
    index.add(np.arange(6000), words)
    queries = _clustered(rng, 700, centres=10)  # several batches, two threads
    many = index.search_many(queries)
    assert many == [index.search(h) for h in words_to_hex(queries)]
    q, i, d = index.search_arrays(queries)
    flat = [(int(a), int(b), int(c)) for a, b, c in zip(q, i, d, strict=True)]
    assert flat == [(n, x, y) for n, hits in enumerate(many) for x, y in hits]


@pytest.mark.parametrize("n", [1, 1000, 4097, 100_000, 1_000_000, 10_000_000, 100_000_000])
@pytest.mark.parametrize("radius", [0, 15, 31, 40])
def test_it_lays_out_chunks_that_guarantee_recall(n: int, radius: int) -> None:
    chunks = choose_layout(n, radius)
    assert sum(c.width for c in chunks) == hamming.BITS
    assert [c.start for c in chunks] == list(np.cumsum([0] + [c.width for c in chunks[:-1]]))
    assert sum(c.radius + 1 for c in chunks) >= radius + 1  # general pigeonhole
    assert all(c.width <= 32 for c in chunks)
    assert all(2**c.width <= max(2**12, 2 * n) for c in chunks)


def test_it_uses_11_chunks_for_ten_million() -> None:
    chunks = choose_layout(10_000_000, 31)
    assert len(chunks) == 11
    assert sorted(c.radius for c in chunks) == [1] + [2] * 10


# --------------------------------------------------------------------------- compiled kernels


def test_it_compiles_without_a_writable_cache_directory(tmp_path: Path) -> None:
    """No cache directory available (read-only project dir and home): numba refuses
    ``cache=True``; the kernels are then compiled without the on-disk cache."""
    import numba

    blocker = tmp_path / "a-file"
    blocker.write_text("")

    def add_one(x: int) -> int:
        return x + 1

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(numba.config, "CACHE_DIR", str(blocker / "cache"), raising=False)
        mp.setattr(numba.config, "CACHE_LOCATOR_CLASSES", "UserProvidedCacheLocator")
        with pytest.raises(RuntimeError, match="no locator"):
            numba.njit(cache=True)(add_one)
        kernel = hamming._jit(add_one)
        assert kernel(41) == 42
        assert kernel._cache.__class__.__name__ == "NullCache"


# --------------------------------------------------------------------------- slot layout


@pytest.mark.parametrize("per_key", [1, 2])
def test_slot_tables_hold_every_bucket(per_key: int) -> None:
    """Empty keys, buckets that fit the slots and overflowing ones (up to 40 rows)."""
    rng = np.random.default_rng(per_key)
    width = 6
    keys = np.concatenate([rng.integers(0, 20, 300), np.full(40, 33), [50, 51, 51]])
    keys = rng.permutation(keys).astype(np.uint32)
    slots, overflow = hamming_slots.slot_table(keys, width, per_key)
    assert slots.shape == (2**width * per_key,)
    for key in range(2**width):
        want = np.flatnonzero(keys == key).tolist()
        got: list[int] = []
        for v in slots[key * per_key : (key + 1) * per_key].tolist():
            if v < hamming_slots.OVERFLOW:
                got.append(v)
            elif v != hamming_slots.EMPTY:
                at = v - int(hamming_slots.OVERFLOW)
                got += overflow[at + 1 : at + 1 + int(overflow[at])].tolist()
        assert got == want  # ascending rows, none lost
    assert hamming_slots.slots_per_key(10_000_000, 23) == 2
    assert hamming_slots.slots_per_key(10_000_000, 24) == 1


def test_big_segments_use_the_slot_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hamming, "PREFILTER_MAX_ROWS", 5000)
    rng = np.random.default_rng(21)
    words = _clustered(rng, 9000, centres=40)
    index = HammingIndex()
    index.add(np.arange(9000), words)
    (seg,) = index._segments
    assert len(seg.slots) and not len(seg.pre) and not len(seg.perm)
    assert index.nbytes >= seg.slots.nbytes + seg.overflow.nbytes
    queries = np.concatenate([_clustered(rng, 30, centres=40), words[:5]])
    for q, got in zip(queries, index.search_many(queries), strict=True):
        assert got == _brute(words, np.arange(9000), q, 31)
