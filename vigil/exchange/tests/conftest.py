from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "vics"


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    settings.MEDIA_STORE_DIR = tmp_path / "media"
    settings.UPLOAD_DIR = tmp_path / "uploads"


def make_partner(name="NCMEC", *, status="approved", may_receive=2, sends=2, **extra):
    import base64

    import pyrage
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from vigil.exchange import keys
    from vigil.exchange.models import Partner

    signing = Ed25519PrivateKey.generate()
    age_id = pyrage.x25519.Identity.generate()
    raw = signing.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    partner = Partner.objects.create(
        name=name,
        organisation=f"{name} (test)",
        country="US",
        status=status,
        may_receive=may_receive,
        sends=sends,
        signing_key=base64.b64encode(raw).decode(),
        age_recipient=str(age_id.to_public()),
        **extra,
    )
    partner._test_signing = signing
    partner._test_age = age_id
    assert keys.parse_signing_key(partner.signing_key)
    return partner


@pytest.fixture
def partner(db):
    return make_partner()


def grant_share(user, monkeypatch=None):
    """Give `user` the Manager's "may share" grant (the accounts field once it exists)."""
    if hasattr(type(user), "may_share"):
        type(user).objects.filter(pk=user.pk).update(may_share=True)
        user.refresh_from_db()
    else:
        assert monkeypatch is not None, "the grant field is not there yet: pass monkeypatch"
        from vigil.exchange import rules

        granted = getattr(monkeypatch, "_vigil_granted", set())
        granted.add(user.pk)
        monkeypatch._vigil_granted = granted
        real = (
            rules.can_export.__wrapped__
            if hasattr(rules.can_export, "__wrapped__")
            else rules.can_export
        )

        def can_export(u):
            return real(u) or (
                getattr(u, "pk", None) in granted
                and u.is_authenticated
                and u.role in ("investigator", "manager")
            )

        can_export.__wrapped__ = real
        monkeypatch.setattr(rules, "can_export", can_export)
    return user
