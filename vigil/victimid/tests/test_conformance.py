"""The hasher (vigil/lib/pdq.py through vigil/victimid/hashing.py) against the conformance data.

A few rows here; the full CSV is checked in vigil/lib/tests.
"""

from __future__ import annotations

import csv

import pytest

from vigil.lib import pdq
from vigil.victimid.hashing import hash_bytes_media, hash_path

from .conftest import CONFORMANCE

ROWS = {r["path"]: r for r in csv.DictReader((CONFORMANCE / "expected_pdq.csv").open())}
SAMPLE = [
    "bridge-mods/aaa-orig.jpg",
    "bridge-mods/square-128x128.jpg",
    "reg-test-input/labelme-subset/q0003.jpg",
    "reg-test-input/pen-and-coaster.png",
    "misc-images/wee.jpg",
]


@pytest.mark.parametrize("path", SAMPLE)
def test_it_reproduces_the_expected_hashes(path):
    row = ROWS[path]
    h = hash_path(CONFORMANCE / path)
    assert (h.md5, h.sha1, h.sha256, h.size) == (
        row["md5"],
        row["sha1"],
        row["sha256"],
        int(row["bytes"]),
    )
    assert h.pdq == row["pdqhash_hash"]
    assert h.quality == int(row["pdqhash_quality"])
    if row["cpp512_hash"] and h.quality >= 80:
        assert pdq.hamming(h.pdq, row["cpp512_hash"]) <= 10
    # In memory (how match requests hash) gives the same.
    m = hash_bytes_media((CONFORMANCE / path).read_bytes(), path)
    assert (m.pdq, m.quality, m.sha256) == (h.pdq, h.quality, h.sha256)


def test_it_flags_low_quality_images():
    for path in ("reg-test-input/labelme-subset/q0003.jpg", "misc-images/small.jpg"):
        assert hash_path(CONFORMANCE / path).low_quality


def test_it_hashes_the_colour_modes_alike():
    base = hash_path(CONFORMANCE / "bridge-mods/aaa-orig.jpg").pdq
    modes = sorted((CONFORMANCE / "misc-images/modes").glob("*.*"))
    images = [p for p in modes if p.suffix.lower() in {".jpg", ".png", ".webp", ".tiff"}]
    assert images
    for p in images[:6]:
        assert pdq.hamming(hash_path(p).pdq, base) <= 2, p.name


def test_it_reproduces_the_vpdq_sample_within_31():
    video = CONFORMANCE / "vpdq/test-padded-dimensions.mp4"
    expected = {}
    for line in (CONFORMANCE / "vpdq/test-padded-dimensions.txt").read_text().splitlines():
        frame, quality, hex_hash, ts = line.split(",")
        expected[int(frame)] = (int(quality), hex_hash)
    h = hash_path(video)
    assert h.kind == "video" and h.frames
    for f in h.frames:
        q, ref = expected[f.frame_number]
        if q >= 50 and f.quality >= 50:
            assert pdq.hamming(f.hash_hex, ref) <= 31


def test_it_reports_corrupt_and_unsupported_files(tmp_path):
    cases = {
        "truncated.jpg": (
            (CONFORMANCE / "bridge-mods/aaa-orig.jpg").read_bytes()[:4000],
            "truncated",
        ),
        "empty.jpg": (b"", "empty"),
        "text.jpg": (b"hello world, not an image", "unsupported"),
        "garbage.png": (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, None),
    }
    for name, (data, code) in cases.items():
        with pytest.raises(pdq.MediaError) as exc:
            hash_bytes_media(data, name)
        if code:
            assert exc.value.code == code, name
        assert name in exc.value.message
