"""What subpoenas give the referrals app: the subscriber address as jurisdiction evidence,
and the subpoena records and response documents as a section of the referral packet.

Found by the referrals app's autodiscovery (`referrals_plugins` modules); the
subpoenas app itself imports nothing of referrals.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from vigil.referrals import jurisdiction, packet
from vigil.subpoenas.models import Subpoena, SubpoenaResponse


def subscriber_addresses(tips: list):
    rows = SubpoenaResponse.objects.filter(subpoena__tip__in=[t.pk for t in tips]).select_related(
        "subpoena"
    )
    for resp in rows.exclude(address=""):
        place = jurisdiction.place_from_address(resp.address)
        if place is not None:
            yield jurisdiction.Evidence(
                kind="subscriber_address",
                label="Subscriber address (subpoena response)",
                value=resp.address,
                place=place,
                tip_id=resp.subpoena.tip_id,
                source=f"{resp.subpoena.reference} response",
            )


def _iso(value):
    return value.replace(microsecond=0).isoformat() if value else None


def subpoena_section(ctx: packet.PacketContext):
    # Deferred: registered at start-up; subpoenas.actions (and what it imports) loads when a
    # packet is built.
    from vigil.subpoenas import actions

    subpoenas = list(
        Subpoena.objects.filter(tip_id__in=ctx.tip_ids)
        .select_related("provider")
        .prefetch_related("responses")
        .order_by("tip_id", "id")
    )
    if not subpoenas:
        return None
    items = []
    attachments = {}
    for s in subpoenas:
        responses = list(s.responses.all())
        items.append(
            {
                "tip_id": s.tip_id,
                "reference": s.reference,
                "provider": s.provider.name,
                "status": s.get_status_display(),
                "categories": ", ".join(s.category_labels()),
                "served_at": _iso(s.served_at),
                "responded_at": _iso(s.responded_at),
                "outcome": s.get_outcome_display() if s.outcome else "",
                "subscriber": "; ".join(r.subscriber_name for r in responses if r.subscriber_name),
                "address": "; ".join(r.address for r in responses if r.address),
                "phones": "; ".join(p for r in responses for p in r.phones),
                "emails": "; ".join(e for r in responses for e in r.emails),
                "account_ids": "; ".join(a for r in responses for a in r.account_ids),
                "payment": "; ".join(r.payment for r in responses if r.payment),  # masked
                "sessions": sum(len(r.sessions) for r in responses),
                "response_document": s.response_file_name,
                "response_document_sha256": s.response_file_sha256,
                "contradiction": s.contradiction_note if s.contradiction else "",
            }
        )
        if ctx.actor is not None and s.served_at:

            def subpoena_pdf(s=s):
                return actions.render_subpoena(s, actor=ctx.actor)

            attachments[f"subpoenas/{s.reference}.pdf"] = subpoena_pdf
        if ctx.actor is not None and s.response_file_path:

            def response_doc(s=s):
                return actions.open_response_document(s, actor=ctx.actor)

            attachments[f"subpoenas/{s.reference}-response-{s.response_file_name}"] = response_doc
    section = packet.Section(
        key="subpoenas",
        title="Subpoenas and responses",
        items=items,
        layout="records",
        columns=[
            ("tip_id", "Tip"),
            ("reference", "Subpoena"),
            ("provider", "Served on"),
            ("status", "Status"),
            ("categories", "Records requested"),
            ("served_at", "Served (UTC)"),
            ("responded_at", "Answered (UTC)"),
            ("outcome", "Outcome"),
            ("subscriber", "Subscriber"),
            ("address", "Subscriber address"),
            ("phones", "Phones"),
            ("emails", "E-mails"),
            ("account_ids", "Account IDs"),
            ("payment", "Payment (masked)"),
            ("sessions", "Sessions logged"),
            ("response_document", "Response document"),
            ("response_document_sha256", "Response document SHA-256"),
            ("contradiction", "Contradicts the tip"),
        ],
        intro="A shared packet carries each subpoena and its response document as files.",
        attachments=attachments,
        attachment_errors=(PermissionDenied, ValidationError),
    )
    return section


jurisdiction.register_provider("subscriber_address", subscriber_addresses)
packet.register_section("subpoenas", subpoena_section, order=40)
