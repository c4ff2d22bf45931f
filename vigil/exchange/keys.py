"""This instance's keys and the key checks for partners.

Ed25519 (cryptography) signs what we send; age X25519 (pyrage) encrypts a
package to one partner. Our private halves live encrypted in `Identity`.
"""

from __future__ import annotations

import base64
import binascii
import os

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.exchange.models import Identity
from vigil.lib import crypto


def instance_name() -> str:
    return os.environ.get("VIGIL_INSTANCE_NAME", "") or "vigil"


def parse_signing_key(text: str) -> Ed25519PublicKey:
    """A partner's Ed25519 public key: base64 of the 32 raw bytes, or a PEM block."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("No signing key is registered for this partner.")
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError
            return key
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise ValidationError(
            "The signing key is not an Ed25519 public key (base64 of 32 bytes, or PEM)."
        ) from None


def normalise_signing_key(text: str) -> str:
    if not (text or "").strip():
        return ""
    return public_b64(parse_signing_key(text))


def public_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def parse_age_recipient(text: str) -> pyrage.x25519.Recipient:
    text = (text or "").strip()
    if not text:
        raise ValidationError("No age encryption key is registered for this partner.")
    try:
        return pyrage.x25519.Recipient.from_str(text)
    except Exception:  # noqa: BLE001 - pyrage raises its own error types
        raise ValidationError(
            "The encryption key is not an age X25519 recipient (it starts with age1…)."
        ) from None


def normalise_age_recipient(text: str) -> str:
    if not (text or "").strip():
        return ""
    return str(parse_age_recipient(text))


def identity():
    """This instance's Identity row, created with fresh keys on first use."""
    found = Identity.objects.first()
    if found is not None:
        return found
    signing = Ed25519PrivateKey.generate()
    raw = signing.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    age_id = pyrage.x25519.Identity.generate()
    with transaction.atomic():
        found = Identity.objects.select_for_update().first()
        if found is not None:
            return found
        return Identity.objects.create(
            name=instance_name(),
            signing_public=public_b64(signing.public_key()),
            signing_private_encrypted=crypto.encrypt_field(base64.b64encode(raw).decode()),
            age_recipient=str(age_id.to_public()),
            age_identity_encrypted=crypto.encrypt_field(str(age_id)),
        )


def _signing_private() -> Ed25519PrivateKey:
    ident = identity()
    raw = base64.b64decode(crypto.decrypt_field(ident.signing_private_encrypted))
    return Ed25519PrivateKey.from_private_bytes(raw)


def _age_identity() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.from_str(crypto.decrypt_field(identity().age_identity_encrypted))


def sign(data: bytes) -> bytes:
    return _signing_private().sign(data)


def verify(public_b64_text: str, signature: bytes, data: bytes) -> bool:
    try:
        parse_signing_key(public_b64_text).verify(signature, data)
    except (InvalidSignature, ValidationError):
        return False
    return True


def encrypt_to(recipient: str, data: bytes) -> bytes:
    return pyrage.encrypt(data, [parse_age_recipient(recipient)])


class DecryptFailed(Exception):
    def __init__(self, message: str, *, wrong_recipient: bool) -> None:
        super().__init__(message)
        self.wrong_recipient = wrong_recipient


def decrypt(data: bytes) -> bytes:
    try:
        return pyrage.decrypt(data, [_age_identity()])
    except pyrage.DecryptError as exc:
        text = str(exc).lower()
        wrong = "no matching keys" in text or "no identity matched" in text
        raise DecryptFailed(str(exc), wrong_recipient=wrong) from None
