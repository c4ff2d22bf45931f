from __future__ import annotations

import pytest
from PIL import Image

from vigil.victimid import matching
from vigil.victimid.hashing import hash_bytes_media, hash_path
from vigil.victimid.matching import Query, match, required_frames
from vigil.victimid.models import Media, MediaFrame

from .conftest import BRIDGE, jpeg

BASE = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def flip_bits(hex_hash: str, n: int) -> str:
    value = int(hex_hash, 16)
    for bit in range(n):
        value ^= 1 << (bit * 7 % 256)
    return f"{value:064x}"


def hash_only(series, pdq=BASE, quality=100, **kw):
    return Media.objects.create(series=series, pdq=pdq, pdq_quality=quality, **kw)


def test_it_matches_at_distance_31_and_not_32(series_factory):
    series, _ = series_factory("Edge")
    media = hash_only(series)
    at31, at32 = flip_bits(BASE, 31), flip_bits(BASE, 32)
    assert matching.pdqlib.hamming(BASE, at31) == 31
    assert matching.pdqlib.hamming(BASE, at32) == 32
    hits = match(Query(pdq=at31, quality=100))
    assert [(h["media"], h["method"], h["distance"]) for h in hits] == [(media.pk, "pdq", 31)]
    assert match(Query(pdq=at32, quality=100)) == []
    # The threshold is per request.
    assert match(Query(pdq=at32, quality=100), threshold=32)[0]["distance"] == 32
    assert match(Query(pdq=at31, quality=100), threshold=30) == []


def test_it_matches_each_exact_method(series_factory):
    series, (m,) = series_factory("Exact", files=[BRIDGE])
    for method in ("md5", "sha1", "sha256"):
        hits = match(Query(**{method: getattr(m, method).upper()}))
        assert hits == [
            {
                "series_id": series.pk,
                "series": "Exact",
                "media": m.pk,
                "method": method,
                "distance": 0,
            }
        ]
    # All hashes of the same file: one match, by the strongest method.
    h = hash_path(BRIDGE)
    hits = match(matching.query_from_hashed(h))
    assert [(x["media"], x["method"]) for x in hits] == [(m.pk, "sha256")]


def test_it_matches_altered_copies_perceptually(series_factory, conformance):
    series, (m,) = series_factory("Bridge", files=[BRIDGE])
    img = Image.open(BRIDGE)
    smaller = jpeg(img.resize((img.width // 3, img.height // 3)), 60)
    cropped = jpeg(img.crop((20, 15, img.width - 20, img.height - 15)), 80)
    for data in (smaller, cropped, (conformance / "bridge-mods/blur-a-lot.jpg").read_bytes()):
        hits = match(matching.query_from_hashed(hash_bytes_media(data, "x.jpg")))
        assert [(x["media"], x["method"]) for x in hits] == [(m.pk, "pdq")]
        assert hits[0]["distance"] <= 31
    unrelated = (conformance / "reg-test-input/pen-and-coaster.png").read_bytes()
    assert match(matching.query_from_hashed(hash_bytes_media(unrelated, "pen.png"))) == []


def test_it_never_matches_low_quality_queries_perceptually(series_factory, conformance):
    series, _ = series_factory("LQ")
    small = hash_path(conformance / "misc-images/small.jpg")
    assert small.quality < 50
    hash_only(series, pdq=small.pdq, quality=100)
    q = matching.query_from_hashed(small)
    assert q.low_quality
    assert match(q) == []
    # ... but an exact copy is still found by its bytes.
    hash_only(series, pdq="", quality=None, md5=small.md5)
    assert [h["method"] for h in match(q)] == ["md5"]


def test_it_does_not_index_low_quality_media(series_factory):
    series, _ = series_factory("LQ stored")
    hash_only(series, quality=10)
    assert match(Query(pdq=BASE, quality=100)) == []


def test_it_ignores_unconfirmed_media(db):
    Media.objects.create(series=None, pdq=BASE, pdq_quality=100, md5="a" * 32)
    assert match(Query(pdq=BASE, quality=100, md5="a" * 32)) == []


def test_it_refreshes_the_index_when_media_are_added(series_factory):
    series, _ = series_factory("Growing")
    assert match(Query(pdq=BASE, quality=100)) == []
    size_before = matching.index_size()
    m = hash_only(series)
    assert [h["media"] for h in match(Query(pdq=BASE, quality=100))] == [m.pk]
    assert matching.index_size() == size_before + 1
    # Confirming an unconfirmed media (moving it into a series) is picked up too.
    other = Media.objects.create(series=None, pdq=flip_bits(BASE, 3), pdq_quality=100)
    assert {h["media"] for h in match(Query(pdq=BASE, quality=100))} == {m.pk}
    other.series = series
    other.save()
    assert {h["media"] for h in match(Query(pdq=BASE, quality=100))} == {m.pk, other.pk}
    # A media leaving its series no longer matches.
    m.series = None
    m.save()
    assert {h["media"] for h in match(Query(pdq=BASE, quality=100))} == {other.pk}


def test_it_tries_rotations_and_flips_when_asked(series_factory, conformance):
    series, (m,) = series_factory("Rotated", files=[BRIDGE])
    rotated = conformance / "reg-test-input/dih/bridge-2-rotate-90.jpg"
    h = hash_path(rotated)
    assert match(matching.query_from_hashed(h)) == []
    hits = match(matching.query_from_hashed(hash_path(rotated, dihedral=True)))
    assert [(x["media"], x["method"]) for x in hits] == [(m.pk, "pdq")]
    assert hits[0]["transform"] != "original" and hits[0]["distance"] <= 8


@pytest.mark.parametrize(
    ("n", "needed"), [(0, 0), (1, 1), (2, 2), (5, 2), (10, 2), (11, 3), (50, 10)]
)
def test_it_applies_the_video_frame_rule(n, needed):
    assert required_frames(n) == needed


def test_it_matches_a_video_when_enough_frames_match(series_factory):
    series, _ = series_factory("Video")
    stored = Media.objects.create(series=series, kind="video")
    frames = [flip_bits(pattern_hash, 0) for pattern_hash in _distinct_hashes(10)]
    MediaFrame.objects.bulk_create(
        [MediaFrame(media=stored, second=i, pdq=h, quality=100) for i, h in enumerate(frames)]
    )
    far = [f"{(int(h, 16) ^ ((1 << 256) - 1)):064x}" for h in _distinct_hashes(10, seed=99)]
    # 2 of 10 quality frames match (>= 20%, >= 2 frames): a match.
    q = Query(frames=[(frames[0], 100), (frames[1], 100)] + [(h, 100) for h in far[:8]])
    hits = match(q)
    assert [(h["media"], h["frames"]) for h in hits] == [(stored.pk, "2/10")]
    # 1 of 10: not enough.
    q = Query(frames=[(frames[0], 100)] + [(h, 100) for h in far[:9]])
    assert match(q) == []
    # Low-quality frames do not count, either way.
    q = Query(frames=[(frames[0], 100), (frames[1], 100)] + [(h, 10) for h in far[:8]])
    assert match(q)[0]["frames"] == "2/2"


def _distinct_hashes(n, seed=0):
    import random

    rnd = random.Random(seed)
    return [f"{rnd.getrandbits(256):064x}" for _ in range(n)]


def test_it_matches_the_vpdq_sample_video(series_factory, conformance):
    video = conformance / "vpdq/test-padded-dimensions.mp4"
    series, (m,) = series_factory("Sample video", files=[video])
    assert m.kind == "video" and m.frames.count() > 1
    h = hash_path(video)
    hits = match(matching.query_from_hashed(h))
    assert hits[0]["media"] == m.pk and hits[0]["method"] == "sha256"
    # Without the exact hashes, the frames alone match it.
    q = Query(frames=[(f.hash_hex, f.quality) for f in h.frames])
    hits = match(q)
    assert hits and hits[0]["method"] == "pdq" and hits[0]["media"] == m.pk


def test_it_picks_up_a_late_commit_below_the_seen_id_and_time(series_factory):
    """Another worker's transaction may commit a lower id with an older timestamp."""
    import datetime as dt

    series, _ = series_factory("Late")
    late = Media.objects.create(series=None, pdq=flip_bits(BASE, 5), pdq_quality=100)
    seen = hash_only(series)
    assert {h["media"] for h in match(Query(pdq=BASE, quality=100))} == {seen.pk}
    size = matching.index_size()
    Media.objects.filter(pk=late.pk).update(
        series=series, updated_at=seen.updated_at - dt.timedelta(seconds=30)
    )
    # Same largest id and latest update: found at the next periodic re-read of the overlap.
    matching._INDEX.scanned_at = 0.0
    assert {h["media"] for h in match(Query(pdq=BASE, quality=100))} == {seen.pk, late.pk}
    assert matching.index_size() == size + 1
    matching._INDEX.scanned_at = 0.0
    match(Query(pdq=BASE, quality=100))
    assert matching.index_size() == size + 1  # the overlap adds nothing twice


def test_it_finds_a_known_clip_inside_a_longer_video_in_order(series_factory):
    series, _ = series_factory("Clip")
    clip = Media.objects.create(series=series, kind="video")
    frames = _distinct_hashes(10, seed=5)
    MediaFrame.objects.bulk_create(
        [MediaFrame(media=clip, second=i, pdq=h, quality=100) for i, h in enumerate(frames)]
    )
    filler = _distinct_hashes(100, seed=6)
    # A 100-second video with the clip (slightly altered) cut in at 40 s: 10 of 100
    # query frames match, fewer than the 20% the query-side rule needs.
    longer = filler[:40] + [flip_bits(h, 6) for h in frames] + filler[50:]
    (hit,) = match(Query(frames=[(h, 100) for h in longer]))
    assert (hit["media"], hit["frames"], hit["clip_at"]) == (clip.pk, "10/10", 40.0)
    # The same frames scattered out of order (every 10 s, reversed) are no clip.
    scattered = list(filler)
    for k, h in enumerate(reversed(frames)):
        scattered[10 * k + 3] = h
    assert match(Query(frames=[(h, 100) for h in scattered])) == []
    # Half the clip in order is enough; fewer is not.
    half = filler[:20] + frames[:5] + filler[25:]
    assert match(Query(frames=[(h, 100) for h in half]))[0]["frames"] == "5/10"
    assert match(Query(frames=[(h, 100) for h in filler[:20] + frames[:4] + filler[24:]])) == []


def test_it_finds_the_vpdq_sample_inside_a_longer_video(series_factory, conformance):
    video = conformance / "vpdq/test-padded-dimensions.mp4"
    series, (m,) = series_factory("Sample clip", files=[video])
    sample = hash_path(video).frames
    filler = _distinct_hashes(20 * len(sample), seed=8)
    n = len(filler) // 2
    frames = [(h, 100) for h in filler[:n]] + [(f.hash_hex, f.quality) for f in sample]
    frames += [(h, 100) for h in filler[n:]]
    seconds = [float(i) for i in range(len(frames))]
    hits = match(Query(frames=frames, frame_seconds=seconds))
    assert [h["media"] for h in hits] == [m.pk]
    assert hits[0]["clip_at"] == pytest.approx(n, abs=1)
