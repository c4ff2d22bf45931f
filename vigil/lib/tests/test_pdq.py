"""Conformance and safety tests of vigil.lib.pdq (no Django).

Data: vigil/testing/data/conformance/pdq (see its README).
Run: .venv/bin/python -m pytest -p no:django vigil/lib/tests/test_pdq.py
"""

from __future__ import annotations

import csv
import io
import os
import platform
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from vigil.lib import pdq
from vigil.testing import conformance

DATA = conformance.PDQ


def _rows(name: str) -> list[dict[str, str]]:
    path = DATA / name
    if not path.is_file():
        return []
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


EXPECTED = _rows("expected_pdq.csv")
DIHEDRAL = _rows("expected_pdq_dihedral.csv")
ORIGINAL = "bridge-mods/aaa-orig.jpg"


def _by_path() -> dict[str, dict[str, str]]:
    return {r["path"]: r for r in EXPECTED}


# --------------------------------------------------------------------------- PDQ conformance


@pytest.mark.parametrize("row", EXPECTED, ids=[r["path"] for r in EXPECTED])
def test_it_reproduces_pdqhash_exactly(row: dict[str, str]) -> None:
    result = pdq.pdq_image(DATA / row["path"])
    assert result.hash_hex == row["pdqhash_hash"]
    assert result.quality == int(row["pdqhash_quality"])
    assert len(result.hash_hex) == 64 and result.hash_hex == result.hash_hex.lower()
    # With the rotations and flips (one pdqhash call): the same hash and quality first.
    same, rotations = pdq.pdq_dihedral_pixels(pdq.decode_rgb(DATA / row["path"]))
    assert same == result and rotations[0] == result.hash_hex and len(rotations) == 8


@pytest.mark.parametrize("row", EXPECTED, ids=[r["path"] for r in EXPECTED])
def test_it_is_within_10_bits_of_the_cpp_reference(row: dict[str, str]) -> None:
    if not row["cpp512_hash"] or int(row["pdqhash_quality"]) < 80:
        pytest.skip("no C++ reference for this file, or quality below 80")
    result = pdq.pdq_image(DATA / row["path"])
    assert pdq.hamming(result.hash_hex, row["cpp512_hash"]) <= 10
    assert result.quality == int(row["cpp512_quality"])


@pytest.mark.parametrize("row", EXPECTED, ids=[r["path"] for r in EXPECTED])
def test_it_computes_exact_hashes(row: dict[str, str]) -> None:
    path = DATA / row["path"]
    expected = {"md5": row["md5"], "sha1": row["sha1"], "sha256": row["sha256"]}
    assert pdq.hash_bytes(path.read_bytes()) == expected
    streamed = pdq.hash_file(path, chunk_size=4096)
    assert streamed == expected
    assert path.stat().st_size == int(row["bytes"])
    with path.open("rb") as fh:
        assert pdq.hash_file(fh) == streamed
    both = pdq.hash_image(path)
    assert (both.md5, both.sha1, both.sha256, both.size) == (
        row["md5"],
        row["sha1"],
        row["sha256"],
        int(row["bytes"]),
    )
    assert (both.pdq, both.quality) == (row["pdqhash_hash"], int(row["pdqhash_quality"]))
    assert (both.width, both.height) == (int(row["width"]), int(row["height"]))


def test_it_hashes_a_file_object_like_a_path() -> None:
    path = DATA / ORIGINAL
    with path.open("rb") as fh:
        assert pdq.pdq_image(fh) == pdq.pdq_image(path)
    assert pdq.pdq_image(io.BytesIO(path.read_bytes())) == pdq.pdq_image(path)


def test_it_matches_pdqhash_called_directly() -> None:
    path = DATA / ORIGINAL
    bits, quality = pdqhash.compute(np.asarray(Image.open(path).convert("RGB")))
    # Bit 0 of pdqhash's vector is the most significant bit of the first hex digit.
    manual = "".join(f"{int(''.join(map(str, bits[i : i + 4])), 2):x}" for i in range(0, 256, 4))
    assert pdq.bits_to_hex(bits) == manual == pdq.pdq_image(path).hash_hex
    assert quality == pdq.pdq_image(path).quality


def test_it_hashes_the_same_with_the_allocator_tuned_for_hashing() -> None:
    # In a child: the tuning is process-wide and for hashing processes only.
    code = (
        "import sys; from vigil.lib import pdq; before = pdq.pdq_image(sys.argv[1]); "
        "tuned = pdq.reuse_freed_memory(); "
        "print(tuned, all(pdq.pdq_image(sys.argv[1]) == before for _ in range(3)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(DATA / ORIGINAL)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[1] == "True"
    if sys.platform == "linux" and platform.libc_ver()[0] == "glibc":
        assert out[0] == "True"


def test_it_sees_the_three_identical_files_as_exact_duplicates() -> None:
    paths = [ORIGINAL, "reg-test-input/dih/bridge-1-original.jpg", "misc-images/modes/original.jpg"]
    digests = {pdq.hash_file(DATA / p)["md5"] for p in paths}
    assert digests == {"d35c785545392755e7e4164457657269"}


def test_it_decodes_every_colour_mode_close_to_the_original() -> None:
    original = pdq.pdq_image(DATA / ORIGINAL).hash_hex
    modes = [r for r in EXPECTED if r["path"].startswith("misc-images/modes/")]
    assert len(modes) == 14
    for row in modes:
        result = pdq.pdq_image(DATA / row["path"])
        assert pdq.hamming(result.hash_hex, original) <= 2, row["path"]
        assert result.matchable


def test_it_matches_every_bridge_edit_and_no_unrelated_image() -> None:
    original = pdq.pdq_image(DATA / ORIGINAL).hash_hex
    for row in EXPECTED:
        d = pdq.hamming(row["pdqhash_hash"], original)
        if row["path"].startswith("bridge-mods/"):
            assert d <= 16, row["path"]
        elif not row["path"].startswith(("misc-images/modes/", "reg-test-input/dih/")):
            assert d > pdq.MATCH_THRESHOLD, row["path"]


@pytest.mark.parametrize(
    "name",
    [
        "reg-test-input/labelme-subset/q0003.jpg",
        "reg-test-input/labelme-subset/q0004.jpg",
        "misc-images/small.jpg",
    ],
)
def test_it_flags_low_quality_images_as_unmatchable(name: str) -> None:
    result = pdq.pdq_image(DATA / name)
    assert result.quality < pdq.LOW_QUALITY
    assert not result.matchable
    assert not pdq.is_matchable(result.quality)


def test_it_draws_the_quality_line_at_50() -> None:
    assert pdq.LOW_QUALITY == 50
    assert pdq.is_matchable(50) and pdq.is_matchable(100)
    assert not pdq.is_matchable(49) and not pdq.is_matchable(0)


def test_it_reproduces_the_dihedral_hashes() -> None:
    assert [r["transform"] for r in DIHEDRAL] == list(pdq.DIHEDRAL_NAMES)
    hashes = pdq.dihedral(DATA / DIHEDRAL[0]["path"])
    assert hashes == [r["pdqhash_hash"] for r in DIHEDRAL]
    for h, row in zip(hashes, DIHEDRAL, strict=True):
        rotated = pdq.pdq_image(DATA / row["corresponding_file"]).hash_hex
        assert pdq.hamming(h, rotated) == int(row["distance_to_pdqhash_of_corresponding_file"])
        assert pdq.hamming(h, rotated) <= pdq.MATCH_THRESHOLD


def test_it_does_not_apply_exif_orientation(tmp_path: Path) -> None:
    img = Image.new("RGB", (64, 32))
    img.paste((255, 255, 255), (0, 0, 32, 32))
    plain, rotated = tmp_path / "plain.jpg", tmp_path / "exif.jpg"
    img.save(plain, quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    img.save(rotated, quality=95, exif=exif)
    assert pdq.pdq_image(plain) == pdq.pdq_image(rotated)


# --------------------------------------------------------------------------- vPDQ


def _vpdq_expected(name: str) -> list[tuple[int, int, str, float]]:
    out = []
    for line in (DATA / "vpdq" / f"{name}.txt").read_text().splitlines():
        if line.strip():
            frame, quality, hex_hash, ts = line.split(",")
            out.append((int(frame), int(quality), hex_hash, float(ts)))
    return out


def test_it_reproduces_vpdq_of_the_padded_video_exactly() -> None:
    expected = _vpdq_expected("test-padded-dimensions")
    frames = pdq.vpdq_frames(DATA / "vpdq" / "test-padded-dimensions.mp4", seconds_per_hash=0)
    assert len(frames) == len(expected) == 150
    for got, (frame, quality, hex_hash, ts) in zip(frames, expected, strict=True):
        assert (got.frame_number, got.quality, got.hash_hex) == (frame, quality, hex_hash)
        assert got.second == pytest.approx(ts, abs=0.001)


def test_it_reproduces_vpdq_of_the_doorknob_video_within_upstream_tolerance() -> None:
    expected = _vpdq_expected("doorknob-hd-no-bar")
    frames = pdq.vpdq_frames(DATA / "vpdq" / "doorknob-hd-no-bar.mp4", seconds_per_hash=0)
    assert len(frames) == len(expected) == 120
    compared = 0
    for got, (frame, quality, hex_hash, _ts) in zip(frames, expected, strict=True):
        assert got.frame_number == frame
        if got.quality >= pdq.LOW_QUALITY and quality >= pdq.LOW_QUALITY:
            compared += 1
            assert pdq.hamming(got.hash_hex, hex_hash) <= pdq.MATCH_THRESHOLD
    assert compared >= 60


def test_it_hashes_one_video_frame_per_second() -> None:
    frames = pdq.vpdq_video(DATA / "vpdq" / "test-padded-dimensions.mp4")
    assert [round(f.second) for f in frames] == [0, 1, 2, 3, 4]
    every = {
        f.frame_number: f for f in pdq.vpdq_frames(DATA / "vpdq" / "test-padded-dimensions.mp4", 0)
    }
    for f in frames:
        assert every[f.frame_number].hash_hex == f.hash_hex


def test_it_rejects_a_file_that_is_not_a_video(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(pdq.MediaError) as err:
        pdq.vpdq_video(junk)
    assert err.value.code == "corrupt"
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(pdq.MediaError) as err:
        pdq.vpdq_video(empty)
    assert err.value.code == "empty"
    with pytest.raises(pdq.MediaError) as err:
        pdq.vpdq_video(tmp_path / "missing.mp4")
    assert err.value.code == "not_found"


# --------------------------------------------------------------------------- safe decoding


def _png_header_only(width: int, height: int) -> bytes:
    """A ~60-byte PNG claiming width x height pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64, 9))
        + chunk(b"IEND", b"")
    )


def _code(source: object, **kwargs: int) -> str:
    with pytest.raises(pdq.MediaError) as err:
        pdq.pdq_image(source, **kwargs)  # type: ignore[arg-type]
    assert err.value.message and err.value.message[0].isupper()
    return err.value.code


def test_it_refuses_a_decompression_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header_only(100_000, 100_000))
    assert bomb.stat().st_size < 200
    assert _code(bomb) == "too_large"
    assert _code(io.BytesIO(bomb.read_bytes())) == "too_large"
    # Even with our own limit lifted, Pillow's (made fatal) still stops it.
    assert _code(bomb, max_pixels=10**12) == "too_large"


def test_it_treats_pillows_bomb_warning_as_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "forty.png"
    Image.new("RGB", (40, 40), (10, 200, 30)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1600 px: warning, not error
    assert _code(path, max_pixels=10**9) == "too_large"


def test_it_refuses_images_over_the_pixel_limit(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("L", (300, 200)).save(path)
    assert _code(path, max_pixels=50_000) == "too_large"
    assert pdq.pdq_image(path, max_pixels=60_000).quality == 0


def test_it_reports_a_truncated_jpeg(tmp_path: Path) -> None:
    data = (DATA / ORIGINAL).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    assert _code(cut) == "truncated"
    with pytest.raises(pdq.MediaError) as err:
        pdq.hash_image(cut)
    assert err.value.code == "truncated"


def test_it_reports_a_corrupt_png(tmp_path: Path) -> None:
    data = bytearray((DATA / "reg-test-input/pen-and-coaster.png").read_bytes())
    data[200:4000] = os.urandom(3800)  # garbage inside the compressed pixel data
    bad = tmp_path / "bad.png"
    bad.write_bytes(bytes(data))
    assert _code(bad) in {"corrupt", "truncated"}


def test_it_reports_random_bytes_empty_and_text_files(tmp_path: Path) -> None:
    rnd = tmp_path / "random.jpg"
    rnd.write_bytes(os.urandom(10_000))
    assert _code(rnd) == "unsupported"
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert _code(empty) == "empty"
    assert _code(io.BytesIO(b"")) == "empty"
    text = tmp_path / "notes.txt"
    text.write_text("Not a picture.\n" * 20)
    assert _code(text) == "unsupported"
    assert _code(tmp_path / "missing.png") == "not_found"


def test_it_refuses_formats_outside_the_allowed_list(tmp_path: Path) -> None:
    path = tmp_path / "img.tga"
    Image.new("RGB", (32, 32), (200, 10, 10)).save(path)
    assert _code(path) == "unsupported"


def test_it_hashes_the_first_frame_of_an_animation(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)

    def blobs() -> Image.Image:
        # A smooth random grey picture: a well-defined PDQ hash, and no palette loss
        # when saved as GIF.
        small = Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8))
        return small.resize((128, 128), Image.Resampling.BICUBIC).convert("RGB")

    first, second = blobs(), blobs()
    for ext in ("gif", "png", "webp"):
        anim = tmp_path / f"anim.{ext}"
        first.save(anim, save_all=True, append_images=[second], duration=100, loop=0, lossless=True)
        with Image.open(anim) as im:
            assert getattr(im, "n_frames", 1) == 2, ext
        got = pdq.pdq_image(anim).hash_hex
        h1, q1 = pdqhash.compute(np.asarray(first))
        h2, q2 = pdqhash.compute(np.asarray(second))
        h1, h2 = pdq.bits_to_hex(h1), pdq.bits_to_hex(h2)
        assert q1 >= 80 and q2 >= 80
        assert got == h1, ext
        assert pdq.hamming(got, h2) > pdq.MATCH_THRESHOLD, ext


# --------------------------------------------------------------------------- exact hashes, hamming


def test_it_hashes_bytes_like_hashlib() -> None:
    assert pdq.hash_bytes(b"") == {
        "md5": "d41d8cd98f00b204e9800998ecf8427e",
        "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
    data = os.urandom(3 * 1024 * 1024 + 17)
    streamed = pdq.hash_file(io.BytesIO(data), chunk_size=1000)
    assert streamed == pdq.hash_bytes(data)


def test_it_counts_differing_bits() -> None:
    a = "f" * 64
    assert pdq.hamming(a, a) == 0
    assert pdq.hamming(a, "0" * 64) == 256
    assert pdq.hamming("8" + "0" * 63, "0" * 64) == 1
    with pytest.raises(ValueError):
        pdq.hamming("00", "000")


# --------------------------------------------------------------------------- sniffing


def test_it_sniffs_the_conformance_files() -> None:
    for row in EXPECTED:
        assert pdq.sniff_kind(DATA / row["path"]) == "image", row["path"]
    for video in ("test-padded-dimensions.mp4", "doorknob-hd-no-bar.mp4"):
        assert pdq.sniff_kind(DATA / "vpdq" / video) == "video"
    assert pdq.sniff_kind(DATA / "README.md") is None


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "video"),
        (b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x003gp4", "video"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", "image"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "video"),
        (b"\x00\x00\x01\x00moov" + b"\x00" * 16, "video"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "video"),
        (b"RIFF\x00\x10\x00\x00AVI LIST", "video"),
        (b"RIFF\x00\x10\x00\x00WAVEfmt ", None),
        (b"\x00\x00\x01\xba\x44\x00\x04\x00", "video"),
        (b"\x00\x00\x01\xb3\x14\x00\xf0\x13", "video"),
        ((b"\x47" + b"\x00" * 187) * 3, "video"),
        (b"FLV\x01\x05\x00\x00\x00\x09", "video"),
        (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa", "video"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x80theora", "video"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"GIF89a\x01\x00\x01\x00", "image"),
        (b"hello, world", None),
        (b"", None),
    ],
)
def test_it_sniffs_containers_by_magic(tmp_path: Path, head: bytes, kind: str | None) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(head)
    assert pdq.sniff_kind(path) == kind
    fh = io.BytesIO(b"xx" + head)
    fh.seek(2)
    assert pdq.sniff_kind(fh) == kind
    assert fh.tell() == 2


def test_it_sniffs_images_pillow_knows(tmp_path: Path) -> None:
    for ext in ("png", "webp", "bmp", "tiff", "ppm"):
        path = tmp_path / f"x.{ext}"
        Image.new("RGB", (8, 8)).save(path)
        assert pdq.sniff_kind(path) == "image", ext


def test_it_refuses_truncated_files_even_after_weasyprint_is_imported(tmp_path):
    import weasyprint  # noqa: F401  (switches Pillow's LOAD_TRUNCATED_IMAGES on)
    from PIL import Image as PILImage
    from PIL import ImageFile

    path = tmp_path / "whole.jpg"
    PILImage.new("RGB", (256, 256), (120, 80, 40)).save(path, quality=95)
    data = path.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    with pytest.raises(pdq.MediaError):
        pdq.pdq_image(cut)
