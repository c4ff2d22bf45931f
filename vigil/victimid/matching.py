"""Matching submitted media against the confirmed media of every series.

- Exact: MD5, SHA-1, SHA-256 through the database indexes on Media.
- Perceptual: PDQ Hamming distance through one process-wide in-memory
  :class:`~vigil.lib.hamming.HammingIndex` of the confirmed media's PDQ hashes
  (images with quality >= 50, and the quality frames of videos), built lazily from
  the database on first use and refreshed incrementally: each query first reads the
  largest media id and the latest media update (two index probes); when they moved,
  only the rows added or changed since are read and added. Hits are checked
  against the database at look-up, so media deleted or moved out of a series never
  match.
- A match is reported once per stored media, by its strongest method
  (sha256 > sha1 > md5 > pdq) and, for pdq, at its smallest distance.
- Low-quality queries (PDQ quality < 50) are never matched perceptually.
- Video rule: a video matches a stored media when at least
  ``max(VIDEO_MIN_FRAMES, ceil(VIDEO_MIN_FRACTION x n))`` of its ``n`` quality
  frames (quality >= 50) are each within the threshold of some frame (or the image
  hash) of that media; with a single quality frame, that one frame must match.
  A stored clip inside a longer query video also matches when at least half of its
  own quality frames match query frames in order, at one time offset (``_match_clip``).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Q

from vigil.lib import pdq as pdqlib
from vigil.lib import pdq_variants, verify
from vigil.lib.hamming import HammingIndex, hashes_to_words
from vigil.victimid import storage
from vigil.victimid.models import Media, MediaFrame, MediaVariant

# Index ids are media id * ID_SPAN + the hash's code (pdq_variants.CODES: 0 the
# whole image or a video frame, 1 trimmed, 2.. the sub-windows).
ID_SPAN = 32
# Second stage (vigil/lib/verify.py): candidates beyond the threshold but within
# VIGIL_PDQ_VERIFY_RADIUS (0: off) are checked on the pixels, at most VERIFY_MAX
# media per query, nearest first.
VERIFY_MAX = 4
VIDEO_MIN_FRACTION = 0.20
VIDEO_MIN_FRAMES = 2
# A stored clip inside a longer query video: at least this share of the clip's
# quality frames (and VIDEO_MIN_FRAMES) must match query frames at one time offset,
# within CLIP_SLACK seconds (vPDQ samples one frame per second).
CLIP_MIN_FRACTION = 0.5
CLIP_SLACK = 1
MAX_THRESHOLD = 128
EXACT_METHODS = ("sha256", "sha1", "md5")
_RANK = {"sha256": 0, "sha1": 1, "md5": 2, "pdq": 3}


@dataclass
class Query:
    """What we know of one submitted item. Empty strings for unknown hashes."""

    md5: str = ""
    sha1: str = ""
    sha256: str = ""
    pdq: str = ""
    quality: int | None = None  # None: a hash from a list, quality unknown (trusted)
    frames: list[tuple[str, int]] = field(default_factory=list)  # video: (hash, quality)
    frame_seconds: list[float] = field(default_factory=list)  # their times (default 0, 1, 2…)
    dihedral: list[str] = field(default_factory=list)  # 8 hashes, original first
    # Extra hashes of a query image (vigil/lib/pdq_variants.query_variants):
    # [("trimmed", hash)] without its uniform borders, [("inner", hash)] inside the
    # plain corners a rotation leaves, [("unrotated", hash)] turned back.
    variants: list[tuple[str, str]] = field(default_factory=list)
    # The file (or a function reading it), for the verifier; None: no second stage.
    image: bytes | Callable[[], bytes] | None = field(default=None, repr=False)

    @property
    def low_quality(self) -> bool:
        if self.frames:
            return not any(pdqlib.is_matchable(q) for _h, q in self.frames)
        return bool(self.pdq) and self.quality is not None and not pdqlib.is_matchable(self.quality)


class _Index:
    """The process-wide perceptual index over confirmed media.

    Freshness: each query compares (largest media id, latest media update) with
    what was indexed: two index probes. When they moved, the rows past the old
    values are read, with an overlap of WINDOW on the update time so a
    transaction that committed late (a lower id or an older timestamp than rows
    already seen) is still picked up; `recent` remembers which versions of those
    rows are indexed so the overlap adds nothing twice. When nothing moved, the
    overlap is still re-read every RESCAN_SECONDS for the same reason.
    """

    WINDOW = dt.timedelta(minutes=10)
    RESCAN_SECONDS = 30.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.index: HammingIndex | None = None
        self.signature: tuple[int, Any] | None = None
        self.recent: dict[int, Any] = {}
        self.scanned_at = 0.0

    def _signature(self) -> tuple[int, Any]:
        """(largest media id, latest media update): two index probes, no scan.

        Over all media, confirmed or not: a submitted media bumps it too, and the
        refresh that follows reads only the few rows past the old signature.
        """
        max_id = Media.objects.order_by("-id").values_list("id", flat=True).first() or 0
        last = Media.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
        return (max_id, last)

    def _rows(self, since: Q | None, floor: Any) -> tuple[list[int], list[str]]:
        """(index ids, hashes) to add: confirmed media matching `since` (all when None),
        their video frames and their extra hashes (MediaVariant). Index ids are
        media id * ID_SPAN + the hash's code.

        Each version of a row updated after `floor` is remembered in `recent`.
        """
        media = Media.objects.confirmed()
        ids: list[int] = []
        hashes: list[str] = []
        changed: list[int] = []
        codes = pdq_variants.CODES
        if since is None:
            # Full build: no timestamps to parse for millions of rows; only the recent ones.
            good = media.filter(pdq_quality__gte=pdqlib.LOW_QUALITY).exclude(pdq="")
            for mid, h in good.values_list("id", "pdq").iterator(chunk_size=20000):
                ids.append(mid * ID_SPAN)
                hashes.append(h)
            if floor is not None:
                self.recent = dict(
                    media.filter(updated_at__gt=floor).values_list("id", "updated_at")
                )
            for mid, h in (
                MediaFrame.objects.filter(
                    quality__gte=pdqlib.LOW_QUALITY, media__series__isnull=False
                )
                .values_list("media_id", "pdq")
                .iterator(chunk_size=20000)
            ):
                ids.append(mid * ID_SPAN)
                hashes.append(h)
            for mid, name, h in (
                MediaVariant.objects.filter(
                    quality__gte=pdqlib.LOW_QUALITY, media__series__isnull=False
                )
                .values_list("media_id", "name", "pdq")
                .iterator(chunk_size=20000)
            ):
                ids.append(mid * ID_SPAN + codes.get(name, 0))
                hashes.append(h)
            return ids, hashes
        media = media.filter(since)
        rows = media.values_list("id", "updated_at", "pdq", "pdq_quality")
        for mid, updated, h, quality in rows.iterator(chunk_size=20000):
            if self.recent.get(mid) == updated:
                continue  # this version of the row is indexed already
            if floor is not None and updated is not None and updated > floor:
                self.recent[mid] = updated
            if h and quality is not None and pdqlib.is_matchable(quality):
                ids.append(mid * ID_SPAN)
                hashes.append(h)
            changed.append(mid)
        frames = MediaFrame.objects.filter(quality__gte=pdqlib.LOW_QUALITY)
        variants = MediaVariant.objects.filter(quality__gte=pdqlib.LOW_QUALITY)
        for i in range(0, len(changed), 1000):
            chunk = changed[i : i + 1000]
            for mid, h in frames.filter(media_id__in=chunk).values_list("media_id", "pdq"):
                ids.append(mid * ID_SPAN)
                hashes.append(h)
            for mid, name, h in variants.filter(media_id__in=chunk).values_list(
                "media_id", "name", "pdq"
            ):
                ids.append(mid * ID_SPAN + codes.get(name, 0))
                hashes.append(h)
        return ids, hashes

    def get(self, refresh: bool = True) -> HammingIndex:
        with self.lock:
            if not refresh and self.index is not None:
                return self.index
            sig = self._signature()
            now = time.monotonic()
            if (
                self.index is not None
                and sig == self.signature
                and now - self.scanned_at < self.RESCAN_SECONDS
            ):
                return self.index
            old = self.signature
            floor = sig[1] - self.WINDOW if sig[1] is not None else None
            if self.index is None or old is None or sig[0] < old[0]:
                # First use, or the table went backwards (restored or reset database).
                self.recent = {}
                index = HammingIndex(max_radius=31)
                ids, hashes = self._rows(None, floor)
                index.add(ids, hashes)
                self.index = index
            else:
                since = Q(id__gt=old[0])
                if old[1] is not None:
                    since |= Q(updated_at__gt=old[1] - self.WINDOW)
                ids, hashes = self._rows(since, floor)
                # Media deleted or moved out of a series stay in the index until the
                # next rebuild but are dropped at look-up, which reads every hit's
                # current series from the database.
                self.index.add(ids, hashes)
            if floor is not None:
                self.recent = {k: v for k, v in self.recent.items() if v > floor}
            self.signature = sig
            self.scanned_at = now
            return self.index


_INDEX = _Index()


def reset_index() -> None:
    """Forget the in-memory index (tests; after bulk deletes)."""
    with _INDEX.lock:
        _INDEX.reset()


def refresh_index() -> None:
    """Bring the in-memory index up to date with the database now."""
    _INDEX.get()


def index_size() -> int:
    return len(_INDEX.get())


def default_threshold() -> int:
    return int(getattr(settings, "PDQ_THRESHOLD", 31))


def verify_radius() -> int:
    return int(getattr(settings, "PDQ_VERIFY_RADIUS", 0))


def _pdq_hit(key: int, dist: int, query_name: str) -> tuple[Any, ...]:
    """(media id, "pdq", distance, extras) of an index hit: which transform of the
    query and which stored hash (a sub-window, the trimmed picture) matched."""
    mid, code = divmod(key, ID_SPAN)
    extra: dict[str, Any] = {}
    if query_name in ("trimmed", "inner", "unrotated"):
        extra["query_variant"] = query_name
    elif query_name != "original":
        extra["transform"] = query_name
    if code:
        extra["window"] = pdq_variants.NAMES.get(code, "other")
    return mid, "pdq", dist, extra


def _add(found: dict[int, dict], media_id: int, method: str, distance: int, extra=None) -> None:
    cur = found.get(media_id)
    if cur is None or (_RANK[method], distance) < (_RANK[cur["method"]], cur["distance"]):
        found[media_id] = {
            "media": media_id,
            "method": method,
            "distance": distance,
            **(extra or {}),
        }


def match(
    query: Query, *, threshold: int | None = None, refresh: bool = True
) -> list[dict[str, Any]]:
    """Matches of one query: [{"series_id", "series", "media", "method", "distance", ...}].

    Sorted by method strength, then distance, then media id. `refresh=False` skips
    the freshness check (a batch checks once, before its first item).
    """
    threshold = default_threshold() if threshold is None else int(threshold)
    if not 0 <= threshold <= MAX_THRESHOLD:
        raise ValueError(f"threshold must be between 0 and {MAX_THRESHOLD}")
    found: dict[int, dict] = {}

    for method in EXACT_METHODS:
        value = getattr(query, method).strip().lower()
        if value:
            for mid in (
                Media.objects.confirmed().filter(**{method: value}).values_list("id", flat=True)
            ):
                _add(found, mid, method, 0)

    if query.frames:
        _match_video(query, threshold, found, refresh)
    elif query.pdq and not query.low_quality:
        index = _INDEX.get(refresh)
        hashes = list(query.dihedral or [query.pdq])
        names = list(pdqlib.DIHEDRAL_NAMES if query.dihedral else ("original",))
        for name, h in query.variants:
            hashes.append(h)
            names.append(name)
        for name, hits in zip(names, index.search_many(hashes, threshold), strict=True):
            for key, dist in hits:
                _add(found, *_pdq_hit(int(key), int(dist), name))
        radius = verify_radius()
        # A threshold tighter than the default asks for strict PDQ: no second stage.
        if query.image is not None and radius > threshold >= default_threshold():
            _verify(query, index, threshold, radius, found)

    if not found:
        return []
    rows = {
        m.id: m
        for m in Media.objects.confirmed().filter(id__in=list(found)).select_related("series")
    }
    out = []
    for mid, hit in found.items():
        media = rows.get(mid)
        if media is None:
            continue  # left its series or was deleted since the index was built
        out.append({"series_id": media.series_id, "series": media.series.name, **hit})
    out.sort(key=lambda h: (_RANK[h["method"]], h["distance"], h["media"]))
    return out


def _match_video(query: Query, threshold: int, found: dict[int, dict], refresh: bool) -> None:
    seconds = query.frame_seconds or [float(i) for i in range(len(query.frames))]
    good = [
        (h, t) for (h, q), t in zip(query.frames, seconds, strict=False) if pdqlib.is_matchable(q)
    ]
    if not good:
        return
    needed = required_frames(len(good))
    index = _INDEX.get(refresh)
    hits_per_media: dict[int, int] = defaultdict(int)
    best: dict[int, int] = {}
    for hits in index.search_many([h for h, _t in good], threshold):
        nearest: dict[int, int] = {}
        for key, dist in hits:
            mid = int(key) // ID_SPAN
            nearest[mid] = min(nearest.get(mid, 999), int(dist))
        for mid, dist in nearest.items():
            hits_per_media[mid] += 1
            best[mid] = min(best.get(mid, 999), dist)
    shorter = [m for m, c in hits_per_media.items() if VIDEO_MIN_FRAMES <= c < needed]
    for mid, count in hits_per_media.items():
        if count >= needed:
            _add(found, mid, "pdq", best[mid], {"frames": f"{count}/{len(good)}"})
    if shorter:
        _match_clip(good, shorter, threshold, found)


def _match_clip(
    good: list[tuple[str, float]], media_ids: list[int], threshold: int, found: dict
) -> None:
    """A stored video shorter than the query (a known clip inside a longer video):
    it matches when at least CLIP_MIN_FRACTION of its quality frames (and
    VIDEO_MIN_FRAMES) match query frames *in order*: at one time offset, ± CLIP_SLACK
    seconds. The match says where: "clip_at" (seconds into the query)."""
    frames: dict[int, list[tuple[float, str]]] = defaultdict(list)
    rows = MediaFrame.objects.filter(media_id__in=media_ids, quality__gte=pdqlib.LOW_QUALITY)
    for mid, second, h in rows.values_list("media_id", "second", "pdq"):
        frames[mid].append((second, h))
    qwords = hashes_to_words([h for h, _t in good])
    qtimes = np.array([t for _h, t in good])
    for mid, stored in frames.items():
        # Every (stored frame, query frame) pair within the threshold, binned by time
        # offset; the offset most stored frames agree on (± CLIP_SLACK): a clip's
        # frames line up, coincidences do not.
        swords = hashes_to_words([h for _t, h in stored])
        stimes = np.array([t for t, _h in stored])
        by_bin: dict[int, dict[int, int]] = defaultdict(dict)  # offset bin -> {j: distance}
        for lo in range(0, len(stored), 256):
            block = swords[lo : lo + 256]
            d = np.bitwise_count(block[:, None, :] ^ qwords[None, :, :]).sum(axis=2)
            for j, i in zip(*np.nonzero(d <= threshold), strict=True):
                b = round(float(qtimes[i] - stimes[lo + j]))
                seen = by_bin[b]
                dist = int(d[j, i])
                if dist < seen.get(lo + int(j), 999):
                    seen[lo + int(j)] = dist
        best_offset, best_frames, best_dist = 0.0, 0, 999
        slack = CLIP_SLACK
        for b in by_bin:
            merged: dict[int, int] = {}
            for k in range(b - slack, b + slack + 1):
                for j, dist in by_bin.get(k, {}).items():
                    merged[j] = min(merged.get(j, 999), dist)
            if len(merged) > best_frames:
                best_offset, best_frames, best_dist = float(b), len(merged), min(merged.values())
        needed = max(VIDEO_MIN_FRAMES, math.ceil(CLIP_MIN_FRACTION * len(stored)))
        if best_frames >= needed:
            _add(
                found,
                mid,
                "pdq",
                best_dist,
                {"frames": f"{best_frames}/{len(stored)}", "clip_at": round(best_offset, 1)},
            )


def _verify(query: Query, index: HammingIndex, threshold: int, radius: int, found: dict) -> None:
    """Candidates within `radius` (not `threshold`) of the query's whole-image or
    extra hashes, checked on the pixels (vigil/lib/verify.py); a confirmed one is a pdq
    match with its distance and "verified" (the verifier's score)."""
    hashes = [query.pdq] + [h for _name, h in query.variants]
    _q, keys, dists = index.search_arrays(hashes, radius)
    order = np.lexsort((keys, dists))
    candidates: dict[int, int] = {}
    for k in order.tolist():
        mid = int(keys[k]) // ID_SPAN
        if mid in found or mid in candidates:
            continue
        candidates[mid] = int(dists[k])
        if len(candidates) >= VERIFY_MAX:
            break
    if not candidates:
        return
    try:
        data = query.image() if callable(query.image) else query.image
        mine = verify.prepare(pdqlib.decode_rgb(io.BytesIO(data or b"")))
    except (pdqlib.MediaError, OSError):
        return
    rows = Media.objects.confirmed().filter(id__in=list(candidates), kind=Media.Kind.IMAGE)
    for media in rows:
        if not media.has_file:
            continue
        try:
            stored = storage.read(media.stored_path, media.wrapped_key)
            theirs = verify.prepare(pdqlib.decode_rgb(io.BytesIO(stored)))
        except (pdqlib.MediaError, OSError, ValueError):
            continue
        verdict = verify.verify(mine, theirs)
        if verdict.ok:
            _add(found, media.id, "pdq", candidates[media.id], {"verified": verdict.score})


def required_frames(n_quality_frames: int) -> int:
    """How many quality frames of a query video must match (see the module docstring)."""
    if n_quality_frames <= 1:
        return n_quality_frames
    return max(VIDEO_MIN_FRAMES, math.ceil(VIDEO_MIN_FRACTION * n_quality_frames))


def query_from_hashed(hashed: Any) -> Query:
    """A Query from vigil.victimid.hashing.Hashed; its rotations and flips are tried
    when it was hashed with `dihedral=True` (and its quality is matchable)."""
    q = Query(
        md5=hashed.md5,
        sha1=hashed.sha1,
        sha256=hashed.sha256,
        pdq=hashed.pdq,
        quality=hashed.quality,
        frames=[(f.hash_hex, f.quality) for f in hashed.frames],
        frame_seconds=[f.second for f in hashed.frames],
        variants=[(v.name, v.hash_hex) for v in hashed.variants],
    )
    if hashed.kind == "image" and not q.low_quality:
        q.dihedral = list(hashed.dihedral)
    return q
