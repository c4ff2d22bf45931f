"""Subpoena figures for the statistics app (by month of service, provider and outcome).

Order 30–39: after the tips and flags, before the referrals (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from vigil.stats import registry
from vigil.subpoenas.models import Subpoena


def register() -> None:
    issued = Subpoena.objects.exclude(served_at=None)
    registry.register(
        "subpoenas_issued",
        "Subpoenas issued",
        section="Subpoenas",
        order=30,
        compute=registry.Count(issued, "served_at"),
    )
    registry.register(
        "subpoenas_by_provider",
        "Subpoenas issued by provider",
        section="Subpoenas",
        order=31,
        compute=registry.Breakdown(issued, "served_at", "provider__name"),
    )
    registry.register(
        "subpoenas_by_outcome",
        "Subpoenas issued by outcome",
        section="Subpoenas",
        order=32,
        compute=registry.Breakdown(
            issued.exclude(outcome=""),
            "served_at",
            "outcome",
            keys=list(Subpoena.Outcome.values),
        ),
        key_labels=dict(Subpoena.Outcome.choices),
    )
    registry.register(
        "subpoenas_response_days",
        "Median days from service to answer",
        section="Subpoenas",
        order=33,
        compute=registry.MedianDays(
            issued.exclude(responded_at=None), "served_at", "served_at", "responded_at"
        ),
    )
