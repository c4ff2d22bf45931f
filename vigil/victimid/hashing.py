"""Hashing one media file for Vigil: exact hashes, PDQ or vPDQ. Uses vigil/lib/pdq.py."""

from __future__ import annotations

import functools
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vigil.lib import pdq, pdq_variants
from vigil.lib.pdq import MediaError

__all__ = ["Hashed", "MediaError", "default_jobs", "hash_bytes_media", "hash_path", "query_hasher"]


@dataclass
class Hashed:
    kind: str  # image | video
    md5: str
    sha1: str
    sha256: str
    size: int
    pdq: str = ""
    quality: int | None = None
    frames: list[pdq.VideoFrame] = field(default_factory=list)
    # Extra hashes of an image (vigil.lib.pdq_variants): a stored image's trimmed
    # and sub-window hashes, a query's trimmed hash. Empty unless asked for.
    variants: list[pdq_variants.Variant] = field(default_factory=list)
    variants_of: str = ""  # what `variants` were computed for: "", "reference", "query"
    # The 8 hashes of the image's rotations and flips (pdq.DIHEDRAL_NAMES), from the
    # same decode and pdqhash call as `pdq`, when asked for (`dihedral=True`).
    dihedral: list[str] = field(default_factory=list)

    @property
    def low_quality(self) -> bool:
        if self.kind == "video":
            return not any(pdq.is_matchable(f.quality) for f in self.frames)
        return self.quality is not None and not pdq.is_matchable(self.quality)


def hash_path(
    path: str | os.PathLike[str], *, variants: str = "", dihedral: bool = False
) -> Hashed:
    """Hash a file; raises MediaError (code, message) for anything that cannot be hashed.

    `variants`: "" (none), "reference" (a stored image: trimmed and sub-window
    hashes) or "query" (a submitted image: its trimmed hash if it has a border).
    `dihedral`: an image's 8 rotation and flip hashes too (Hashed.dihedral), at no
    extra decode."""
    path = Path(path)
    if not path.is_file():
        raise MediaError("not_found", f"{path.name!r} is not a file.")
    if path.stat().st_size == 0:
        raise MediaError("empty", f"File {path.name!r} is empty.")
    kind = pdq.sniff_kind(path)
    if kind == "image":
        return _hash_image_bytes(path.read_bytes(), path.name, variants, dihedral)
    if kind == "video":
        digests = pdq.hash_file(path)
        frames = pdq.vpdq_video(path)
        return Hashed(
            "video",
            digests["md5"],
            digests["sha1"],
            digests["sha256"],
            path.stat().st_size,
            frames=frames,
        )
    raise MediaError(
        "unsupported", f"File {path.name!r} is neither an image nor a video in a supported format."
    )


def _hash_image_bytes(data: bytes, name: str, variants: str = "", dihedral: bool = False) -> Hashed:
    digests = pdq.hash_bytes(data)
    rotations: list[str] = []
    try:
        if dihedral:
            pixels = pdq.decode_rgb(io.BytesIO(data))
            result, rotations = pdq.pdq_dihedral_pixels(pixels)
        else:
            result, pixels = pdq.pdq_image_pixels(io.BytesIO(data))
    except MediaError as exc:
        raise MediaError(exc.code, exc.message.replace("The file", f"File {name!r}")) from None
    extra: list[pdq_variants.Variant] = []
    if variants == "reference":
        extra = pdq_variants.reference_variants(pixels, result.hash_hex)
    elif variants == "query" and pdq.is_matchable(result.quality):
        extra = pdq_variants.query_variants(pixels)
    del pixels
    return Hashed(
        "image",
        digests["md5"],
        digests["sha1"],
        digests["sha256"],
        len(data),
        result.hash_hex,
        result.quality,
        variants=extra,
        variants_of=variants,
        dihedral=rotations,
    )


def hash_bytes_media(
    data: bytes, name: str = "file", *, variants: str = "", dihedral: bool = False
) -> Hashed:
    """Hash in-memory file contents (`variants`, `dihedral`: see hash_path). Images
    never touch the disk; a video goes through a private temporary file (the video
    decoder reads paths), removed straight after."""
    if not data:
        raise MediaError("empty", f"File {name!r} is empty.")
    kind = pdq.sniff_kind(io.BytesIO(data))
    if kind == "image":
        return _hash_image_bytes(data, name, variants, dihedral)
    if kind != "video":
        raise MediaError(
            "unsupported", f"File {name!r} is neither an image nor a video in a supported format."
        )
    suffix = Path(name).suffix[:10]
    with tempfile.TemporaryDirectory(prefix="vigil-hash-") as tmp:
        path = Path(tmp) / f"item{suffix}"
        path.write_bytes(data)
        try:
            return hash_path(path)
        except MediaError as exc:
            # Name the submitted file, not the temporary one.
            raise MediaError(exc.code, exc.message.replace(repr(path.name), repr(name))) from None


def query_hasher(dihedral: bool) -> Callable[[bytes, str], Hashed]:
    """How a match request hashes a submitted file: ``f(data, name)``. Picklable and
    free of Django, so the request's hashing processes run it (vigil/victimid/tasks.py)."""
    return functools.partial(hash_bytes_media, variants="query", dihedral=dihedral)


def default_jobs() -> int:
    """All the cores this process may use: hashing processes by default (`vigil hash`,
    `vigil match`, match requests)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
