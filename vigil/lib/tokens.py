"""Bearer tokens that are shown once and stored only as a hash.

A token reads ``<prefix>_<key id>_<secret>``: the key id (public, 12 hex digits) finds the
stored row, the whole string's SHA-256 is compared in constant time. The secret carries 256
random bits, so a plain hash (no salt, no slow KDF) is enough: nothing can be guessed from it.
Used by API tokens (accounts) and partner tokens (exchange).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh (key id, token) pair; store the key id and `hash_token(token)`, show the token once."""
    key_id = secrets.token_hex(6)
    return key_id, f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def key_id_of(raw: str, prefix: str) -> str | None:
    """The key id of a token with this prefix, or None for anything else."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != prefix or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1]


def matches(stored_hash: str, raw: str) -> bool:
    return hmac.compare_digest(stored_hash, hash_token(raw.strip()))
