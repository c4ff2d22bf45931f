"""Referral figures for the statistics app (by month of sending, UTC)."""

from __future__ import annotations


def register() -> None:
    from vigil.referrals.models import Referral
    from vigil.stats import registry

    sent = Referral.objects.exclude(sent_at=None)
    registry.register(
        "referrals_sent", "Referrals sent", section="Referrals",
        compute=registry.Count(sent, "sent_at"),
    )  # fmt: skip
    registry.register(
        "referrals_acknowledged", "Referrals acknowledged", section="Referrals",
        compute=registry.Count(Referral.objects.exclude(acknowledged_at=None), "acknowledged_at"),
    )  # fmt: skip
    registry.register(
        "cases_opened", "Cases opened from referrals", section="Referrals",
        compute=registry.Count(
            Referral.objects.filter(status=Referral.Status.CASE_OPENED), "closed_at"
        ),
    )  # fmt: skip
    registry.register(
        "referrals_by_office", "Referrals sent by office", section="Referrals",
        compute=registry.Breakdown(sent, "sent_at", "office__name"),
    )  # fmt: skip
    registry.register(
        "referral_days", "Median days from receipt of the tip to referral", section="Referrals",
        compute=registry.MedianDays(sent, "sent_at", "tip__received_at", "sent_at"), unit="days",
    )  # fmt: skip
