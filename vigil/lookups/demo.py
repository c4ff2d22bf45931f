"""Demo look-up data: the documentation ranges owned by fictional providers (private AS numbers)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from vigil.lookups import actions
from vigil.lookups.models import Provider, RangeSource

RANGES = (
    "198.51.100.0\t198.51.100.255\t64501\tUS\tEXAMPLE-HOSTING demo\n"
    "203.0.113.0\t203.0.113.127\t64500\tUS\tEXAMPLE-CABLE demo\n"
    "203.0.113.128\t203.0.113.255\t64502\tCA\tEXAMPLE-RESELLER demo\n"
    "2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64500\tUS\tEXAMPLE-CABLE demo\n"
)
PROVIDERS = [
    ("Example Cable (demo)", "isp", "asn", "64500"),
    ("Example Hosting (demo)", "hosting", "asn", "64501"),
    ("Example Mail (demo)", "email", "email_domain", "example.com"),
]


def load(actor) -> str:
    done = []
    if not RangeSource.objects.filter(name="demo").exists():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "demo-ranges.tsv"
            path.write_text(RANGES)
            actions.do_import_ranges(path, source="demo", actor=actor)
        done.append("4 demo ranges")
    for name, kind, map_kind, value in PROVIDERS:
        if Provider.objects.filter(name=name).exists():
            continue
        p = actions.do_create_provider(
            actor=actor,
            name=name,
            kind=kind,
            legal_contact="Legal Compliance (demo)",
            legal_email="legal@provider.invalid",
            address="1 Example Way\nSpringfield",
            notes="Fictional provider for the demo.",
        )
        actions.do_add_mapping(p, map_kind, value, actor=actor)
        done.append(name)
    return ", ".join(done) if done else "look-up demo data exists already"
