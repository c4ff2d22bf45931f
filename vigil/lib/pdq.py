"""Media hashing: MD5/SHA-1/SHA-256 of the bytes, PDQ of images, vPDQ of videos.

Pure Python on top of Pillow, numpy, ``pdqhash`` and ``vpdq``; knows nothing of Django.

Conventions (the same as ``vigil/testing/data/conformance/pdq``):

* A PDQ hash is 64 lowercase hex characters, 256 bits, most significant bit first:
  bit 0 of ``pdqhash.compute``'s bit vector is the top bit of the first hex digit.
* Quality is 0..100.  A hash with quality below :data:`LOW_QUALITY` is kept (an
  analyst may still want it) but is never matched perceptually (:func:`is_matchable`).
* Images are hashed at full resolution from ``Image.open(p).convert("RGB")``.
  EXIF orientation is deliberately NOT applied: the conformance hashes, upstream's
  reference implementations and the partner hash lists we exchange with are computed
  on the stored pixel grid.  A copy that differs only by its EXIF orientation is found
  through :func:`dihedral`, which hashes all 8 rotations/flips.

Decoding untrusted files is guarded: a pixel-count limit checked from the header
before any pixel is decoded (and Pillow's own decompression-bomb check made fatal),
a short list of allowed formats, and every decoding failure turned into one
:class:`MediaError` with a stable ``code`` and a message an analyst can read.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, NamedTuple

import numpy as np
import pdqhash
from PIL import Image, ImageFile, UnidentifiedImageError

__all__ = [
    "ALLOWED_FORMATS",
    "DIHEDRAL_NAMES",
    "LOW_QUALITY",
    "MATCH_THRESHOLD",
    "MAX_PIXELS",
    "ImageHashes",
    "MediaError",
    "PdqResult",
    "VideoFrame",
    "bits_to_hex",
    "decode_rgb",
    "dihedral",
    "hamming",
    "hash_bytes",
    "hash_file",
    "hash_image",
    "is_matchable",
    "pdq_dihedral_pixels",
    "pdq_image",
    "pdq_image_pixels",
    "reuse_freed_memory",
    "sniff_kind",
    "vpdq_frames",
    "vpdq_video",
]

#: Quality below this: the hash is stored but never used for perceptual matching
#: (python-threatexchange's PdqSignal requires quality >= 50).
LOW_QUALITY = 50
#: Upstream's recommended match radius (PDQ_CONFIDENT_MATCH_THRESHOLD): distance <= 31.
MATCH_THRESHOLD = 31
#: Largest image accepted, in pixels (100 MP covers every camera sensor on the market;
#: an RGB decode of it is 300 MB).  Checked from the header, before decoding.
MAX_PIXELS = 100_000_000
#: Formats Pillow may use to decode untrusted input.  Exotic decoders are where
#: Pillow's security bugs have been; nothing here needs them.
ALLOWED_FORMATS: tuple[str, ...] = (
    "JPEG",
    "MPO",
    "PNG",
    "GIF",
    "WEBP",
    "TIFF",
    "BMP",
    "AVIF",
    "PPM",
)
#: Order and names of :func:`dihedral`'s hashes (pdqhash's order).
DIHEDRAL_NAMES: tuple[str, ...] = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_vertical",
    "flip_horizontal",
    "rotate90_flip_vertical",
    "rotate90_flip_horizontal",
)

# Pillow's own guard: warn above MAX_PIXELS, error above twice that.  We make the
# warning fatal where we decode (see _guard) and check the size ourselves first, so
# the limit holds even if some other code changes this global later.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Register every plugin so that ``formats=`` can name MPO/WEBP/TIFF/AVIF, then keep
# the allowed ones this Pillow build actually has (AVIF is optional).
Image.init()
_OPEN_FORMATS: tuple[str, ...] = tuple(f for f in ALLOWED_FORMATS if f in Image.OPEN)

_CHUNK = 1 << 20

Source = str | os.PathLike[str] | BinaryIO | IO[bytes]


class MediaError(Exception):
    """A file that cannot be hashed.  ``code`` is stable, ``message`` is for humans.

    Codes: ``empty``, ``truncated``, ``corrupt``, ``unsupported``, ``too_large``,
    ``not_found``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple:
        # Raised in a hashing process, re-raised in its parent: pickled with both fields.
        return (MediaError, (self.code, self.message))


class PdqResult(NamedTuple):
    hash_hex: str
    quality: int

    @property
    def matchable(self) -> bool:
        return is_matchable(self.quality)


class VideoFrame(NamedTuple):
    second: float
    quality: int
    hash_hex: str
    frame_number: int = 0


class ImageHashes(NamedTuple):
    """Everything Vigil stores for one image, computed from one read of the file."""

    md5: str
    sha1: str
    sha256: str
    size: int
    pdq: str
    quality: int
    width: int
    height: int


# --------------------------------------------------------------------------- exact


def _digesters() -> tuple[Any, Any, Any]:
    # MD5 and SHA-1 are identifiers here (partner hash lists use them), not security.
    return (
        hashlib.md5(usedforsecurity=False),
        hashlib.sha1(usedforsecurity=False),
        hashlib.sha256(),
    )


def hash_bytes(data: bytes) -> dict[str, str]:
    """``{"md5": ..., "sha1": ..., "sha256": ...}`` of ``data``, lowercase hex."""
    md5, sha1, sha256 = _digesters()
    for h in (md5, sha1, sha256):
        h.update(data)
    return {"md5": md5.hexdigest(), "sha1": sha1.hexdigest(), "sha256": sha256.hexdigest()}


def hash_file(source: Source, chunk_size: int = _CHUNK) -> dict[str, str]:
    """Like :func:`hash_bytes`, streamed in ``chunk_size`` pieces (constant memory).

    ``source`` is a path or a binary file object (read from its current position).
    """
    md5, sha1, sha256 = _digesters()
    with _open_binary(source) as fh:
        while chunk := fh.read(chunk_size):
            md5.update(chunk)
            sha1.update(chunk)
            sha256.update(chunk)
    return {"md5": md5.hexdigest(), "sha1": sha1.hexdigest(), "sha256": sha256.hexdigest()}


@contextmanager
def _open_binary(source: Source) -> Iterator[IO[bytes]]:
    if isinstance(source, str | os.PathLike):
        try:
            fh = open(source, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError as exc:
            raise MediaError("not_found", f"No such file: {os.fspath(source)}") from exc
        with fh:
            yield fh
    else:
        yield source


# --------------------------------------------------------------------------- PDQ


def bits_to_hex(bits: Any) -> str:
    """pdqhash's 256 0/1 values (bit 0 = most significant) to 64 lowercase hex chars."""
    arr = np.asarray(bits, dtype=np.uint8)
    if arr.shape != (256,):
        raise ValueError(f"expected 256 bits, got shape {arr.shape}")
    return np.packbits(arr).tobytes().hex()


def is_matchable(quality: int) -> bool:
    """True when a hash of this quality may be used for perceptual matching."""
    return quality >= LOW_QUALITY


def hamming(a_hex: str, b_hex: str) -> int:
    """Number of differing bits between two hex hashes of the same length."""
    if len(a_hex) != len(b_hex):
        raise ValueError("hashes differ in length")
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


@contextmanager
def _guard(what: str) -> Iterator[None]:
    """Turn every way Pillow can fail on hostile input into a MediaError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(
            "too_large",
            f"{what} is too large to decode safely (more than {MAX_PIXELS:,} pixels).",
        ) from exc
    except UnidentifiedImageError as exc:
        raise MediaError("unsupported", f"{what} is not an image in a supported format.") from exc
    except FileNotFoundError as exc:
        raise MediaError("not_found", f"{what} does not exist.") from exc
    except MemoryError as exc:
        raise MediaError("too_large", f"{what} needs too much memory to decode.") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        # Pillow reports truncation as OSError("image file is truncated ...") or
        # "Truncated File Read"; everything else a decoder throws means a broken file.
        text = str(exc)
        if "truncated" in text.lower() or isinstance(exc, EOFError):
            raise MediaError(
                "truncated", f"{what} is truncated (the file ends before the image does)."
            ) from exc
        raise MediaError("corrupt", f"{what} is damaged and cannot be decoded ({text}).") from exc


def _describe(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return f"File {Path(source).name!r}"
    return "The file"


def _decode_rgb(
    source: Source, max_pixels: int = MAX_PIXELS, what: str | None = None
) -> np.ndarray:
    """First frame of ``source`` as an (H, W, 3) uint8 array, decoded defensively.

    Truncated files are errors because Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES``
    is False (its default; nothing in Vigil may turn it on).
    """
    what = what or _describe(source)
    if isinstance(source, str | os.PathLike):
        try:
            if os.path.getsize(source) == 0:
                raise MediaError("empty", f"{what} is empty.")
        except FileNotFoundError as exc:
            raise MediaError("not_found", f"{what} does not exist.") from exc
    with _open_binary(source) as fh:
        pos = fh.tell()
        head = fh.read(64)
        fh.seek(pos)
    try:
        return _decode_guarded(source, max_pixels, what)
    except MediaError as exc:
        if exc.code == "unsupported" and _kind_from_magic(head) == "image":
            # An image signature Pillow then rejects: a damaged file, not a format issue.
            raise MediaError(
                "corrupt", f"{what} looks like an image but is damaged and cannot be decoded."
            ) from exc
        raise


def _decode_guarded(source: Source, max_pixels: int, what: str) -> np.ndarray:
    # Some libraries (WeasyPrint) switch this process-wide flag on when imported;
    # a truncated file must stay an error here whatever was imported before.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with _guard(what):
        with Image.open(source, formats=_OPEN_FORMATS) as img:
            width, height = img.size
            if width <= 0 or height <= 0:
                raise MediaError("corrupt", f"{what} has no pixels ({width}x{height}).")
            if width * height > max_pixels:
                raise MediaError(
                    "too_large",
                    f"{what} is {width}x{height} pixels, more than the limit of "
                    f"{max_pixels:,}; refusing to decode it.",
                )
            # Multi-frame files (GIF, APNG, animated WebP, multi-page TIFF): frame 0,
            # which is where Image.open leaves us.
            img.load()
            rgb = img.convert("RGB")
        return np.asarray(rgb)


def _empty_fileobj_check(source: Source, what: str) -> Source:
    if not isinstance(source, str | os.PathLike):
        pos = source.tell()
        if not source.read(1):
            raise MediaError("empty", f"{what} is empty.")
        source.seek(pos)
    return source


def pdq_image(source: Source, *, max_pixels: int = MAX_PIXELS) -> PdqResult:
    """PDQ hash and quality of an image file (path or binary file object).

    Equal bit for bit to PyPI ``pdqhash`` on ``np.asarray(Image.open(p).convert("RGB"))``.
    Raises :class:`MediaError` for anything that is not a decodable image.
    """
    source = _empty_fileobj_check(source, _describe(source))
    pixels = _decode_rgb(source, max_pixels)
    bits, quality = pdqhash.compute(pixels)
    return PdqResult(bits_to_hex(bits), int(quality))


def pdq_image_pixels(
    source: Source, *, max_pixels: int = MAX_PIXELS
) -> tuple[PdqResult, np.ndarray]:
    """:func:`pdq_image` and the decoded (H, W, 3) pixels it hashed (for extra hashes
    of the same decode, :mod:`vigil.lib.pdq_variants`, and the verifier)."""
    source = _empty_fileobj_check(source, _describe(source))
    pixels = _decode_rgb(source, max_pixels)
    bits, quality = pdqhash.compute(pixels)
    return PdqResult(bits_to_hex(bits), int(quality)), pixels


def pdq_dihedral_pixels(pixels: np.ndarray) -> tuple[PdqResult, list[str]]:
    """PDQ of decoded pixels and the 8 hashes of :func:`dihedral`, from one pdqhash
    call: its first hash is the picture's own (bit for bit what ``pdqhash.compute``
    gives, same quality) and it costs what ``compute`` alone costs."""
    hashes, quality = pdqhash.compute_dihedral(pixels)
    rotations = [bits_to_hex(h) for h in hashes]
    return PdqResult(rotations[0], int(quality)), rotations


def decode_rgb(source: Source, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The first frame as (H, W, 3) uint8, with the same guards as :func:`pdq_image`."""
    source = _empty_fileobj_check(source, _describe(source))
    return _decode_rgb(source, max_pixels)


def hash_image(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> ImageHashes:
    """MD5/SHA-1/SHA-256 of the file and PDQ of its pixels, reading the file once."""
    what = _describe(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise MediaError("not_found", f"{what} does not exist.") from exc
    if not data:
        raise MediaError("empty", f"{what} is empty.")
    digests = hash_bytes(data)
    pixels = _decode_rgb(io.BytesIO(data), max_pixels, what)
    bits, quality = pdqhash.compute(pixels)
    return ImageHashes(
        md5=digests["md5"],
        sha1=digests["sha1"],
        sha256=digests["sha256"],
        size=len(data),
        pdq=bits_to_hex(bits),
        quality=int(quality),
        width=int(pixels.shape[1]),
        height=int(pixels.shape[0]),
    )


def dihedral(source: Source, *, max_pixels: int = MAX_PIXELS) -> list[str]:
    """The 8 PDQ hashes of the image's rotations and flips, in :data:`DIHEDRAL_NAMES` order.

    Hashing a query this way finds stored copies that were rotated or mirrored
    (including copies whose only difference is an EXIF orientation tag).
    """
    source = _empty_fileobj_check(source, _describe(source))
    return pdq_dihedral_pixels(_decode_rgb(source, max_pixels))[1]


def reuse_freed_memory() -> bool:
    """Tune this process's allocator for hashing many images in a row; True if done.

    Each image allocates a few buffers of megabytes (Pillow's decode and its RGB copy,
    the array, pdqhash's float planes) and frees them.  glibc serves allocations that
    large with fresh ``mmap`` pages and hands them back on ``free``, so every image
    pays for page faults on zeroed memory: ~9 ms of system CPU per 1024x768 JPEG
    whose decode and PDQ take ~25 ms (4,400 faults an image).  Serving them from the heap
    (below 32 MB) and keeping up to 64 MB of it free between images removes that; an
    image above 32 MB of pixels still gets its own mapping, returned when freed.
    For a process that only hashes (the ``vigil hash``/``match`` commands and their
    pool); a no-op where the C library has no ``mallopt`` (not glibc)."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 64 << 20))


# --------------------------------------------------------------------------- vPDQ


def vpdq_frames(path: str | os.PathLike[str], seconds_per_hash: float = 1.0) -> list[VideoFrame]:
    """vPDQ frame hashes: one per ``seconds_per_hash`` seconds; 0 means every frame.

    Decoding is FFmpeg's (libav*, in process, through the ``vpdq`` extension).
    Raises :class:`MediaError` when the file cannot be decoded as a video.
    """
    import vpdq  # the extension loads libav*; only pay for it when hashing videos

    what = _describe(path)
    try:
        if os.path.getsize(path) == 0:
            raise MediaError("empty", f"{what} is empty.")
    except FileNotFoundError as exc:
        raise MediaError("not_found", f"{what} does not exist.") from exc
    try:
        features = vpdq.computeHash(os.fspath(path), seconds_per_hash=seconds_per_hash)
    except ValueError as exc:  # vpdq's "doesn't exist"
        raise MediaError("not_found", f"{what} does not exist.") from exc
    except Exception as exc:  # vpdq raises a bare Exception("Fail to create VPDQ hash")
        raise MediaError("corrupt", f"{what} cannot be decoded as a video ({exc}).") from exc
    if not features:
        raise MediaError("corrupt", f"{what} has no decodable video frames.")
    return [
        VideoFrame(
            second=float(f.timestamp),
            quality=int(f.quality),
            hash_hex=str(f.hex).lower(),
            frame_number=int(f.frame_number),
        )
        for f in features
    ]


def vpdq_video(path: str | os.PathLike[str]) -> list[VideoFrame]:
    """One vPDQ frame hash per second of video (vpdq's default sampling)."""
    return vpdq_frames(path, seconds_per_hash=1.0)


# --------------------------------------------------------------------------- sniffing

_IMAGE_MAGIC: tuple[bytes, ...] = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
    b"BM",
)
# ISO-BMFF brands that are still pictures (HEIF/AVIF), not movies.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
# Top-level QuickTime atoms a .mov may start with when it has no ftyp.
_MOV_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def sniff_kind(source: Source) -> Literal["image", "video"] | None:
    """``"image"``, ``"video"`` or ``None`` from the file's first bytes (no ffprobe).

    Videos by container magic: MP4/MOV/3GP/M4V (ISO-BMFF ``ftyp`` or QuickTime atoms),
    Matroska/WebM (EBML), AVI (``RIFF....AVI``), MPEG program/elementary/transport
    streams, FLV, ASF/WMV, Ogg Theora.  Images by magic, then by asking Pillow (header
    only, allowed formats only).  A file object is left at the position it was at.
    """
    is_path = isinstance(source, str | os.PathLike)
    with _open_binary(source) as fh:
        pos = 0 if is_path else fh.tell()
        head = fh.read(1024)
        if not is_path:
            fh.seek(pos)
    kind = _kind_from_magic(head)
    if kind != "unknown":
        return kind
    # Anything else Pillow recognises from its header (PPM, ...).
    try:
        with Image.open(source, formats=_OPEN_FORMATS):
            return "image"
    except Exception:  # noqa: BLE001 - "not an image" is the answer, whatever the reason
        return None
    finally:
        if not is_path:
            source.seek(pos)  # type: ignore[union-attr]


def _kind_from_magic(head: bytes) -> Literal["image", "video", "unknown"] | None:
    if len(head) < 4:
        return None
    box = head[4:8]
    if box == b"ftyp":
        return "image" if head[8:12] in _IMAGE_BRANDS else "video"
    if box in _MOV_ATOMS:
        return "video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska, WebM
        return "video"
    if head.startswith(b"RIFF") and len(head) >= 12:
        if head[8:12] in (b"AVI ", b"AVIX"):
            return "video"
        if head[8:12] == b"WEBP":
            return "image"
        return None  # WAVE and friends
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):  # MPEG-PS, MPEG ES
        return "video"
    if head[0] == 0x47 and len(head) > 376 and head[188] == 0x47 and head[376] == 0x47:
        return "video"  # MPEG-TS, 188-byte packets
    if head.startswith(b"FLV\x01"):
        return "video"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):  # ASF / WMV
        return "video"
    if head.startswith(b"OggS") and b"\x80theora" in head:
        return "video"
    if head.startswith(_IMAGE_MAGIC):
        return "image"
    return "unknown"
