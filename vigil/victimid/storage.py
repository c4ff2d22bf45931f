"""Encrypted media storage under settings.MEDIA_STORE_DIR (see vigil/lib/crypto.py)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from vigil.lib import crypto


def _root() -> Path:
    return Path(settings.MEDIA_STORE_DIR)


def _path(rel: str) -> Path:
    root = _root().resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root):
        raise ValueError("stored path escapes the media store")
    return path


def seal(src: BinaryIO | bytes) -> tuple[str, bytes]:
    """Encrypt a file into the store; returns (relative path, wrapped key)."""
    if isinstance(src, bytes | bytearray):
        src = io.BytesIO(src)
    name = uuid.uuid4().hex
    rel = f"{name[:2]}/{name}.sealed"
    wrapped = crypto.seal_file(src, _path(rel))
    return rel, wrapped


def read(rel: str, wrapped_key: bytes) -> bytes:
    return crypto.open_sealed(_path(rel), bytes(wrapped_key))


def delete(rel: str) -> None:
    if rel:
        _path(rel).unlink(missing_ok=True)
