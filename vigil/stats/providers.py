"""The figures of the apps that exist without knowing statistics: tips, deconfliction, victimid.

Apps built later (subpoenas, referrals) register their own figures from their
AppConfig.ready() (see `registry`); these are registered by the statistics app
because tips, deconfliction and victimid are older than it and the arrow goes
stats → them.
"""

from __future__ import annotations

from django.db.models import IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from vigil.deconfliction.models import Flag
from vigil.referrals.models import Referral
from vigil.stats import registry
from vigil.tips.models import Selector, Source, Tip
from vigil.victimid.models import MatchItem, MatchRequest, Origin

TIPS, FLAGS, REFERRALS, VICTIMID = "Tips", "Flags", "Referrals", "Victim identification"


def _source_names(ids: set) -> dict:
    return dict(Source.objects.filter(id__in=ids).values_list("id", "name"))


def _source_kinds(ids: set) -> dict:
    return dict(Source.objects.filter(id__in=ids).values_list("id", "kind"))


def _json_int(path: str):
    return Cast(KT(path), IntegerField())


def register_referrals() -> None:
    """Referral figures (the referrals app registers none of its own)."""
    sent = Referral.objects.exclude(sent_at=None)
    reg = registry.register
    reg(
        "referrals_sent",
        "Referrals sent",
        section=REFERRALS,
        order=40,
        compute=registry.Count(sent, "sent_at"),
    )
    reg(
        "referrals_acknowledged",
        "Referrals acknowledged",
        section=REFERRALS,
        order=41,
        compute=registry.Count(Referral.objects.exclude(acknowledged_at=None), "acknowledged_at"),
    )
    reg(
        "cases_opened",
        "Cases opened from referrals",
        section=REFERRALS,
        order=42,
        # closed_at is when the receiving office answered: the case-opened time here.
        compute=registry.Count(
            Referral.objects.filter(status=Referral.Status.CASE_OPENED).exclude(closed_at=None),
            "closed_at",
        ),
    )
    reg(
        "referrals_by_office",
        "Referrals sent by office",
        section=REFERRALS,
        order=43,
        compute=registry.Breakdown(sent, "sent_at", "office__name"),
    )
    reg(
        "median_days_receipt_to_referral",
        "Median days from receipt to referral",
        section=REFERRALS,
        order=44,
        unit="days",
        compute=registry.MedianDays(sent, "sent_at", "tip__received_at", "sent_at"),
        help="From the tip's received time to the referral's sending, over the referrals sent in the month.",
    )


def register_all() -> None:
    tips = Tip.objects.all()
    cube = registry.Cube(tips, "received_at", ["source_id", "status", "priority"])
    reg = registry.register
    reg(
        "tips_received",
        "Tips received",
        section=TIPS,
        order=10,
        compute=cube.count(),
        help="By the tip's received time (UTC), not the time it was entered.",
    )
    reg(
        "ip_addresses_received",
        "IP addresses received",
        section=TIPS,
        order=11,
        # One selector row per (tip, IP): an IP list of N lines is N tips of one IP each.
        compute=registry.Count(Selector.objects.filter(type=Selector.Type.IP), "tip__received_at"),
        help="IP addresses on the tips received (an IP list counts one per address).",
    )
    reg(
        "tips_by_source",
        "Tips received by source",
        section=TIPS,
        order=12,
        compute=cube.breakdown("source_id", labels=_source_names),
    )
    reg(
        "tips_by_source_kind",
        "Tips received by source kind",
        section=TIPS,
        order=13,
        compute=cube.breakdown(
            "source_id", labels=_source_kinds, keys=[k.value for k in Source.Kind]
        ),
        key_labels=dict(Source.Kind.choices),
    )
    reg(
        "tips_by_status",
        "Tips received by current status",
        section=TIPS,
        order=14,
        compute=cube.breakdown("status", keys=[s.value for s in Tip.Status]),
        key_labels=dict(Tip.Status.choices),
    )
    priorities = {p.value: p.name.lower() for p in Tip.Priority}
    reg(
        "tips_by_priority",
        "Tips received by priority",
        section=TIPS,
        order=15,
        compute=cube.breakdown("priority", labels=priorities, keys=list(priorities.values())),
        key_labels={p.name.lower(): f"{p.value} · {p.label}" for p in Tip.Priority},
    )

    # A person's decisions only: pairs closed by the system (already linked, folded) are not.
    decided = Flag.objects.filter(status__in=[Flag.Status.LINKED, Flag.Status.DISMISSED]).exclude(
        decided_at=None
    )
    reg(
        "flags_raised",
        "Flags raised",
        section=FLAGS,
        order=20,
        compute=registry.Count(Flag.objects.all(), "created_at"),
    )
    reg(
        "flags_decided",
        "Flags decided",
        section=FLAGS,
        order=21,
        compute=registry.Count(decided, "decided_at"),
    )
    reg(
        "flags_linked",
        "Flags decided: linked",
        section=FLAGS,
        order=22,
        compute=registry.Count(decided.filter(status=Flag.Status.LINKED), "decided_at"),
    )
    reg(
        "flags_dismissed",
        "Flags decided: dismissed",
        section=FLAGS,
        order=23,
        compute=registry.Count(decided.filter(status=Flag.Status.DISMISSED), "decided_at"),
    )
    reg(
        "median_days_to_decision",
        "Median days from flag to decision",
        section=FLAGS,
        order=24,
        unit="days",
        compute=registry.MedianDays(decided, "decided_at", "created_at", "decided_at"),
        help="Over the flags decided in the month.",
    )

    from django.apps import apps

    if apps.is_installed("vigil.referrals"):
        register_referrals()

    finished = MatchRequest.objects.filter(status=MatchRequest.Status.DONE)
    reg(
        "match_requests",
        "Match requests",
        section=VICTIMID,
        order=60,
        compute=registry.Count(MatchRequest.objects.all(), "created_at"),
    )
    reg(
        "match_items",
        "Items submitted for matching",
        section=VICTIMID,
        order=61,
        compute=registry.Count(MatchItem.objects.all(), "request__created_at"),
    )
    for order, (key, label, path) in enumerate(
        [
            (
                "items_matched_identified",
                "Items matching an identified series",
                "matched_identified",
            ),
            (
                "items_matched_unidentified",
                "Items matching only unidentified series",
                "matched_unidentified_only",
            ),
            ("items_matched_nothing", "Items matching nothing", "no_match"),
        ],
        start=62,
    ):
        reg(
            key,
            label,
            section=VICTIMID,
            order=order,
            compute=registry.Sum(finished, "created_at", _json_int(f"summary__{path}")),
            help="From finished match requests, by the month they were submitted.",
        )
    reg(
        "items_matched_by_origin",
        "Items matched, by the origin of the series",
        section=VICTIMID,
        order=65,
        compute=registry.SumBreakdown(
            finished,
            "created_at",
            {o.value: _json_int(f"summary__by_origin__{o.value}") for o in Origin},
        ),
        key_labels=dict(Origin.choices),
        help=(
            "Real child, computer-generated, AI-generated or unknown (the series' origin); an "
            "item matching series of two origins counts under both."
        ),
    )
