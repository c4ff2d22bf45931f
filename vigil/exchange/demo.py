"""Demo partners: NCMEC first (approved), then a proposed foreign partner.

Their keys are generated here (the demo holds no partner's real key). Idempotent.
"""

from __future__ import annotations

import base64

import pyrage
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vigil.exchange import actions
from vigil.exchange.models import Level, Partner
from vigil.lib.text import count

PARTNERS = [
    {
        "name": "NCMEC",
        "organisation": "National Center for Missing & Exploited Children (demo entry)",
        "country": "US",
        "contacts": "Demo Liaison, liaison@example.invalid, +1 555 0199",
        "may_receive": Level.MEDIA,
        "sends": Level.SERIES,
        "approve": True,
    },
    {
        "name": "DEMO-EU-UNIT",
        "organisation": "Demo European Victim ID Unit (fictitious)",
        "country": "NL",
        "contacts": "Analyst Example, analyst@example.invalid",
        "may_receive": Level.HASHES,
        "sends": Level.HASHES,
        "approve": False,
    },
]


def _keys() -> tuple[str, str]:
    raw = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode(), str(pyrage.x25519.Identity.generate().to_public())


def load(actor) -> str:
    created = 0
    for spec in PARTNERS:
        if Partner.objects.filter(name=spec["name"]).exists():
            continue
        signing, age = _keys()
        data = {k: v for k, v in spec.items() if k != "approve"}
        partner = actions.do_create_partner(
            actor=actor, data={**data, "signing_key": signing, "age_recipient": age}
        )
        if spec["approve"]:
            actions.do_set_partner_status(partner, actor=actor, verb="approve", reason="demo data")
        created += 1
    return count(created, "partner") if created else ""
