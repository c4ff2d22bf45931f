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


def grant_share(user):
    """Give `user` the Manager's "may share" grant, as a Manager does."""
    from vigil.accounts import actions as account_actions
    from vigil.testing.personas import make_user

    chief = type(user).objects.filter(username="share-chief").first() or make_user(
        "share-chief", "manager"
    )
    account_actions.do_grant_share(user, actor=chief, reason="validated mission need (test)")
    user.refresh_from_db()
    return user


@pytest.fixture
def sharer(db):
    """The username of a Manager holding the "may share" grant (for --user)."""
    from vigil.testing.personas import make_user

    return grant_share(make_user("sharer", "manager")).username
