"""Encryption at rest and keyed hashing.

- Fields (SSNs, card numbers): AES-256-GCM with a key derived from the master
  key; the 12-byte nonce is stored in front of the ciphertext.
- Matching sensitive values: HMAC-SHA256 under a separate derived key, so equal
  values match without the database holding them in clear.
- Media files: envelope encryption. Each file gets a fresh 256-bit key; the file
  is encrypted in 1 MiB AES-GCM chunks (nonce = file prefix + chunk counter,
  last-chunk flag in the associated data, so truncation and reordering fail);
  the file key is stored wrapped (AES-GCM) by the master key.

- Audit rows: HMAC-SHA256 under a key from settings.AUDIT_KEY (VIGIL_AUDIT_KEY
  or _FILE), or derived from the master key when that is unset. Each key has a
  short public id so rows name the key that MACed them and retired keys
  (settings.AUDIT_OLD_KEYS) still verify old rows after a rotation.

The master key comes from settings.FIELD_KEY (VIGIL_FIELD_KEY or _FILE): any
string; subkeys are derived with HKDF so the same secret is never used twice.

Rotation: the previous master keys stay readable through settings.FIELD_KEYS_PREVIOUS
(VIGIL_FIELD_KEY_PREVIOUS or _FILE, one per line) while `vigil rotate_keys` re-wraps every
media file key (:func:`rewrap`; the media files themselves are not re-encrypted), re-encrypts the
fields and re-keys the keyed hashes; new data is always written under the current key.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vigil.lib import config

CHUNK = 1024 * 1024
MAGIC = b"VGL1"


class CryptoError(Exception):
    """Decryption failed: wrong key, or the data was altered or truncated."""


def _master() -> bytes:
    secret = config.get("FIELD_KEY", "")
    if not secret:
        raise CryptoError("No field encryption key is configured (VIGIL_FIELD_KEY).")
    return secret.encode()


def _previous() -> list[bytes]:
    return [k.encode() for k in config.get("FIELD_KEYS_PREVIOUS", []) if k]


@lru_cache(maxsize=16)
def _derive(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"vigil", info=purpose.encode()).derive(
        master
    )


def _key(purpose: str) -> bytes:
    return _derive(_master(), purpose)


def _audit_key_from(secret: str) -> tuple[str, bytes]:
    key = _derive(secret.encode(), "audit-mac")
    key_id = hmac.new(key, b"vigil audit key id", hashlib.sha256).hexdigest()[:12]
    return key_id, key


def audit_key() -> tuple[str, bytes]:
    """(key id, key) that MACs new audit rows and the chain head."""
    secret = config.get("AUDIT_KEY", "")
    if secret:
        return _audit_key_from(secret)
    return _audit_key_from(_master().decode())


def audit_keys() -> dict[str, bytes]:
    """Every key that may verify an audit MAC: the current one and the retired ones."""
    keys = dict(_audit_key_from(s) for s in config.get("AUDIT_OLD_KEYS", []))
    current_id, current = audit_key()
    keys[current_id] = current
    return keys


def audit_mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def encrypt_field(text: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_key("field")).encrypt(nonce, text.encode(), b"field")


def decrypt_field(blob: bytes) -> str:
    blob = bytes(blob)
    for master in (_master(), *_previous()):
        try:
            key = _derive(master, "field")
            return AESGCM(key).decrypt(blob[:12], blob[12:], b"field").decode()
        except (InvalidTag, ValueError):
            continue
    raise CryptoError("Field cannot be decrypted with the configured key.")


def field_is_current(blob: bytes) -> bool:
    """Whether an encrypted field is encrypted under the current master key."""
    blob = bytes(blob)
    try:
        AESGCM(_key("field")).decrypt(blob[:12], blob[12:], b"field")
    except (InvalidTag, ValueError):
        return False
    return True


def reencrypt_field(blob: bytes) -> bytes:
    """The same value encrypted under the current key (from the current or a previous one)."""
    return encrypt_field(decrypt_field(blob))


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
    for master in (_master(), *_previous()):
        try:
            key = _derive(master, "media-wrap")
            return AESGCM(key).decrypt(wrapped[:12], wrapped[12:], b"media-key")
        except (InvalidTag, ValueError):
            continue
    raise CryptoError("Media key cannot be unwrapped with the configured key.")


def is_current(wrapped: bytes) -> bool:
    """Whether a wrapped file key is wrapped by the current master key."""
    wrapped = bytes(wrapped)
    try:
        AESGCM(_key("media-wrap")).decrypt(wrapped[:12], wrapped[12:], b"media-key")
    except (InvalidTag, ValueError):
        return False
    return True


def rewrap(wrapped: bytes) -> bytes:
    """A file key wrapped by the current master key: the sealed file stays as it is."""
    return _wrap(_unwrap(wrapped))


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


class SealedReader(io.RawIOBase):
    """A file written by :func:`seal_file`, decrypted one chunk at a time (seekable).

    For streaming readers (bulk imports) that must not hold the whole file in
    memory nor write it to disk in clear. Raises CryptoError when a chunk was
    altered, reordered or the file truncated.
    """

    def __init__(self, path: Path, wrapped_key: bytes):
        super().__init__()
        self._aes = AESGCM(_unwrap(wrapped_key))
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        head = self._fh.read(8)
        if head[:4] != MAGIC:
            self._fh.close()
            raise CryptoError(f"{Path(path).name} is not a Vigil sealed file.")
        self._prefix = head[4:]
        body = os.fstat(self._fh.fileno()).st_size - 8
        self._stride = 4 + CHUNK + 16
        self._count = max(1, -(-body // self._stride))
        last = body - (self._count - 1) * self._stride
        if last < 4 + 16:
            self._fh.close()
            raise CryptoError(f"{Path(path).name} is truncated.")
        self._length = (self._count - 1) * CHUNK + last - 4 - 16
        self._pos = 0
        self._cached: tuple[int, bytes] = (-1, b"")

    def _chunk(self, index: int) -> bytes:
        if self._cached[0] == index:
            return self._cached[1]
        self._fh.seek(8 + index * self._stride)
        size_raw = self._fh.read(4)
        if len(size_raw) < 4:
            raise CryptoError("sealed file is truncated")
        sealed = self._fh.read(struct.unpack(">I", size_raw)[0])
        nonce = self._prefix + struct.pack(">Q", index)
        aad = b"last" if index == self._count - 1 else b"more"
        try:
            data = self._aes.decrypt(nonce, sealed, aad)
        except InvalidTag as exc:
            raise CryptoError("sealed file was altered or truncated") from exc
        self._cached = (index, data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, b: Any) -> int:
        if self._pos >= self._length:
            return 0
        index, offset = divmod(self._pos, CHUNK)
        data = self._chunk(index)
        n = min(len(b), len(data) - offset)
        b[:n] = data[offset : offset + n]
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
        super().close()
