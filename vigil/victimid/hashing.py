"""Hashing one media file for Vigil: exact hashes, PDQ or vPDQ. Uses vigil/lib/pdq.py."""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vigil.lib import pdq
from vigil.lib.pdq import MediaError

__all__ = ["Hashed", "MediaError", "hash_bytes_media", "hash_path"]


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

    @property
    def low_quality(self) -> bool:
        if self.kind == "video":
            return not any(pdq.is_matchable(f.quality) for f in self.frames)
        return self.quality is not None and not pdq.is_matchable(self.quality)


def hash_path(path: str | os.PathLike[str]) -> Hashed:
    """Hash a file; raises MediaError (code, message) for anything that cannot be hashed."""
    path = Path(path)
    if not path.is_file():
        raise MediaError("not_found", f"{path.name!r} is not a file.")
    if path.stat().st_size == 0:
        raise MediaError("empty", f"File {path.name!r} is empty.")
    kind = pdq.sniff_kind(path)
    if kind == "image":
        return _hash_image_bytes(path.read_bytes(), path.name)
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


def _hash_image_bytes(data: bytes, name: str) -> Hashed:
    digests = pdq.hash_bytes(data)
    try:
        result = pdq.pdq_image(io.BytesIO(data))
    except MediaError as exc:
        raise MediaError(exc.code, exc.message.replace("The file", f"File {name!r}")) from None
    return Hashed(
        "image",
        digests["md5"],
        digests["sha1"],
        digests["sha256"],
        len(data),
        result.hash_hex,
        result.quality,
    )


def hash_bytes_media(data: bytes, name: str = "file") -> Hashed:
    """Hash in-memory file contents. Images never touch the disk; a video goes through
    a private temporary file (the video decoder reads paths), removed straight after."""
    if not data:
        raise MediaError("empty", f"File {name!r} is empty.")
    kind = pdq.sniff_kind(io.BytesIO(data))
    if kind == "image":
        return _hash_image_bytes(data, name)
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
