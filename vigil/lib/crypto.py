"""Encryption at rest and keyed hashing.

- Fields (SSNs, card numbers): AES-256-GCM with a key derived from the master
  key; the 12-byte nonce is stored in front of the ciphertext.
- Matching sensitive values: HMAC-SHA256 under a separate derived key, so equal
  values match without the database holding them in clear.
- Media files: envelope encryption. Each file gets a fresh 256-bit key; the file
  is encrypted in 1 MiB AES-GCM chunks (nonce = file prefix + chunk counter,
  last-chunk flag in the associated data, so truncation and reordering fail);
  the file key is stored wrapped (AES-GCM) by the master key.

The master key comes from settings.FIELD_KEY (VIGIL_FIELD_KEY or _FILE): any
string; subkeys are derived with HKDF so the same secret is never used twice.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHUNK = 1024 * 1024
MAGIC = b"VGL1"


class CryptoError(Exception):
    """Decryption failed: wrong key, or the data was altered or truncated."""


def _master() -> bytes:
    from django.conf import settings

    secret = getattr(settings, "FIELD_KEY", "")
    if not secret:
        raise CryptoError("No field encryption key is configured (VIGIL_FIELD_KEY).")
    return secret.encode()


@lru_cache(maxsize=16)
def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"vigil", info=purpose.encode()).derive(
        master
    )


def _key(purpose: str) -> bytes:
    return _derive(_master(), purpose)


def encrypt_field(text: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_key("field")).encrypt(nonce, text.encode(), b"field")


def decrypt_field(blob: bytes) -> str:
    blob = bytes(blob)
    try:
        return AESGCM(_key("field")).decrypt(blob[:12], blob[12:], b"field").decode()
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("Field cannot be decrypted with the configured key.") from exc


def keyed_hash(kind: str, normalised: str) -> str:
    return hmac.new(_key("match"), f"{kind}\0{normalised}".encode(), hashlib.sha256).hexdigest()


def mask(kind: str, normalised: str) -> str:
    digits = "".join(ch for ch in normalised if ch.isdigit())
    last4 = digits[-4:]
    if kind == "ssn":
        return f"***-**-{last4}"
    if kind == "card":
        return f"**** **** **** {last4}"
    return "*" * max(len(normalised) - 4, 0) + normalised[-4:]


def _wrap(file_key: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_key("media-wrap")).encrypt(nonce, file_key, b"media-key")


def _unwrap(wrapped: bytes) -> bytes:
    wrapped = bytes(wrapped)
    try:
        return AESGCM(_key("media-wrap")).decrypt(wrapped[:12], wrapped[12:], b"media-key")
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("Media key cannot be unwrapped with the configured key.") from exc


def seal_file(src: BinaryIO, dest: Path) -> bytes:
    """Encrypt `src` into `dest` with a fresh key; return that key wrapped by the master key."""
    file_key = AESGCM.generate_key(bit_length=256)
    aes = AESGCM(file_key)
    prefix = os.urandom(4)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    with open(tmp, "wb") as out:
        out.write(MAGIC + prefix)
        counter = 0
        chunk = src.read(CHUNK)
        while True:
            following = src.read(CHUNK)
            last = not following
            nonce = prefix + struct.pack(">Q", counter)
            sealed = aes.encrypt(nonce, chunk, b"last" if last else b"more")
            out.write(struct.pack(">I", len(sealed)) + sealed)
            if last:
                break
            chunk, counter = following, counter + 1
    os.replace(tmp, dest)
    return _wrap(file_key)


def open_sealed(path: Path, wrapped_key: bytes) -> bytes:
    """Decrypt a file written by seal_file; raises CryptoError if it was altered or truncated."""
    aes = AESGCM(_unwrap(wrapped_key))
    parts = []
    with open(path, "rb") as fh:
        head = fh.read(8)
        if head[:4] != MAGIC:
            raise CryptoError(f"{path.name} is not a Vigil sealed file.")
        prefix = head[4:]
        counter = 0
        while True:
            size_raw = fh.read(4)
            if len(size_raw) < 4:
                raise CryptoError(f"{path.name} is truncated.")
            sealed = fh.read(struct.unpack(">I", size_raw)[0])
            nonce = prefix + struct.pack(">Q", counter)
            try:
                parts.append(aes.decrypt(nonce, sealed, b"more"))
            except InvalidTag:
                try:
                    parts.append(aes.decrypt(nonce, sealed, b"last"))
                except InvalidTag as exc:
                    raise CryptoError(f"{path.name} was altered.") from exc
                if fh.read(1):
                    raise CryptoError(f"{path.name} has data after its last chunk.") from None
                return b"".join(parts)
            counter += 1
