"""The referral packet: sections from a registry, rendered on demand (never stored).

Built in: the referral, the tips, their selectors, their research notes. Other
apps contribute sections from their AppConfig.ready() without this module
importing them (subpoena records and response documents come from the
subpoenas app)::

    from vigil.referrals import packet

    def subpoena_section(ctx):
        rows = [...]  # plain dicts, JSON-ready
        if rows:
            return packet.Section(
                key="subpoenas", title="Subpoenas and responses",
                columns=[("number", "Number"), ("served_on", "Served on"), …], items=rows)

    packet.register_section("subpoenas", subpoena_section, order=40)

A builder takes a `PacketContext` and returns a `Section` or None (nothing to
show). It must only read. The PDF (with a table of contents) and the JSON are
the same data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from vigil.tips.models import ResearchNote, Selector, Tip


@dataclass
class PacketContext:
    tips: list  # Tip objects, received order
    referral: Any = None
    actor: Any = None

    @property
    def tip_ids(self) -> list[int]:
        return [t.pk for t in self.tips]


@dataclass
class Section:
    key: str
    title: str
    items: list[dict]
    columns: list[tuple[str, str]] = field(default_factory=list)  # (item key, heading)
    layout: str = "table"  # "table" or "records" (one key/value block per item)
    intro: str = ""
    # Files a shared packet carries beside the PDF and JSON: name → callable giving the bytes
    # (called only when a package is made). A callable raising one of `attachment_errors`
    # (e.g. no right to open that document) is left out and listed as such.
    attachments: dict[str, Callable[[], bytes]] = field(default_factory=dict)
    attachment_errors: tuple[type[BaseException], ...] = ()

    def as_json(self) -> dict:
        return {"key": self.key, "title": self.title, "intro": self.intro, "items": self.items}


Builder = Callable[[PacketContext], Section | None]
_sections: dict[str, tuple[int, Builder]] = {}


def register_section(key: str, builder: Builder, *, order: int = 100) -> Builder:
    _sections[key] = (order, builder)
    return builder


def unregister_section(key: str) -> None:
    _sections.pop(key, None)


def _iso(value: Any) -> Any:
    if hasattr(value, "microsecond"):
        value = value.replace(microsecond=0)
    return value.isoformat() if hasattr(value, "isoformat") else value


def referral_section(ctx: PacketContext) -> Section | None:
    r = ctx.referral
    if r is None:
        return None
    item = {
        "referral_id": r.pk,
        "office": r.office.name,
        "office_kind": r.office.get_kind_display(),
        "office_contact": ", ".join(
            x for x in (r.office.contact_name, r.office.contact_email, r.office.contact_phone) if x
        ),
        "scope": r.get_scope_display(),
        "status": r.get_status_display(),
        "receiving_case_number": r.receiving_case_number,
        "note": r.note,
        "acknowledge_by": _iso(r.acknowledge_by),
        "created_by": str(r.created_by),
        "sent_at": _iso(r.sent_at),
        "tips": len(ctx.tips),
    }
    return Section(
        key="referral",
        title="Referral",
        items=[item],
        layout="records",
        columns=[
            ("referral_id", "Referral"),
            ("office", "Referred to"),
            ("office_kind", "Kind"),
            ("office_contact", "Contact"),
            ("scope", "Scope"),
            ("status", "Status"),
            ("receiving_case_number", "Receiving case number"),
            ("acknowledge_by", "Acknowledgement due"),
            ("created_by", "Referred by"),
            ("sent_at", "Sent (UTC)"),
            ("tips", "Tips"),
            ("note", "Note"),
        ],
    )


def tips_section(ctx: PacketContext) -> Section | None:
    items = [
        {
            "tip_id": t.pk,
            "source": t.source.name,
            "source_reference": t.source_reference,
            "received_at": _iso(t.received_at),
            "received_via": t.get_received_via_display(),
            "status": t.get_status_display(),
            "priority": t.get_priority_display(),
            "country": t.country,
            "assigned_to": str(t.assigned_to or ""),
            "narrative": t.narrative,
        }
        for t in ctx.tips
    ]
    return Section(
        key="tips",
        title="Tips",
        items=items,
        layout="records",
        columns=[
            ("tip_id", "Tip"),
            ("source", "Source"),
            ("source_reference", "Source reference"),
            ("received_at", "Received (UTC)"),
            ("received_via", "Received via"),
            ("status", "Status"),
            ("priority", "Priority"),
            ("country", "Country"),
            ("assigned_to", "Analyst"),
            ("narrative", "Narrative"),
        ],
    )


def selectors_section(ctx: PacketContext) -> Section | None:
    rows = Selector.objects.filter(tip_id__in=ctx.tip_ids).order_by("tip_id", "type", "value")
    items = [
        {
            "tip_id": s.tip_id,
            "type": s.get_type_display(),
            "value": s.display,  # SSN and card numbers stay masked
            "observed_at": _iso(s.observed_at),
            "port": s.port,
        }
        for s in rows
    ]
    return Section(
        key="selectors",
        title="Selectors",
        items=items,
        columns=[
            ("tip_id", "Tip"),
            ("type", "Type"),
            ("value", "Value"),
            ("observed_at", "Observed (UTC)"),
            ("port", "Port"),
        ],
        intro="" if items else "No selectors.",
    )


def notes_section(ctx: PacketContext) -> Section | None:
    rows = (
        ResearchNote.objects.filter(tip_id__in=ctx.tip_ids)
        .select_related("author")
        .order_by("tip_id", "created_at")
    )
    items = [
        {
            "tip_id": n.tip_id,
            "created_at": _iso(n.created_at),
            "author": str(n.author),
            "note": n.body,
            "attachment": n.attachment_name,
        }
        for n in rows
    ]
    return Section(
        key="research_notes",
        title="Research notes",
        items=items,
        columns=[
            ("tip_id", "Tip"),
            ("created_at", "Written (UTC)"),
            ("author", "By"),
            ("note", "Note"),
            ("attachment", "Attachment"),
        ],
        intro="" if items else "No research notes.",
    )


def register_builtin_sections() -> None:
    register_section("referral", referral_section, order=10)
    register_section("tips", tips_section, order=20)
    register_section("selectors", selectors_section, order=30)
    register_section("research_notes", notes_section, order=50)


def sections(ctx: PacketContext) -> list[Section]:
    out = []
    for _order, builder in sorted(_sections.values(), key=lambda ob: ob[0]):
        section = builder(ctx)
        if section is not None:
            out.append(section)
    return out


def attachments(ctx: PacketContext) -> tuple[dict[str, bytes], list[str]]:
    """(files, names left out) from every section's attachments."""
    files: dict[str, bytes] = {}
    missing: list[str] = []
    for section in sections(ctx):
        for name, make in section.attachments.items():
            try:
                files[name] = make()
            except section.attachment_errors:
                missing.append(name)
    return files, missing


def context_for_referral(referral, *, actor=None) -> PacketContext:
    tips = list(
        Tip.objects.filter(referral_memberships__referral=referral)
        .select_related("source", "assigned_to")
        .order_by("received_at", "id")
    )
    return PacketContext(tips=tips, referral=referral, actor=actor)


def context_for_tips(tip_ids, *, actor=None) -> PacketContext:
    tips = list(
        Tip.objects.filter(pk__in=list(tip_ids))
        .select_related("source", "assigned_to")
        .order_by("received_at", "id")
    )
    return PacketContext(tips=tips, actor=actor)


def build_json(ctx: PacketContext) -> dict:
    r = ctx.referral
    return {
        "packet": {
            "title": f"Referral #{r.pk} to {r.office.name}" if r else "Tip data",
            "referral_id": r.pk if r else None,
            "generated_at": timezone.now().isoformat(),
            "generated_by": str(ctx.actor) if ctx.actor else "",
            "tips": ctx.tip_ids,
        },
        "contents": [s.title for s in sections(ctx)],
        "sections": [s.as_json() for s in sections(ctx)],
    }


_UTC_ISO = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d(?::\d\d)?)(?:\+00:00|Z)")


def _shown(value: Any) -> Any:
    """A cell as a person reads it: UTC timestamps (the JSON's ISO 8601) as "2026-11-03 14:22:05"
    (the headings say UTC)."""
    if isinstance(value, str):
        m = _UTC_ISO.fullmatch(value)
        if m:
            return f"{m.group(1)} {m.group(2)}"
    return value


def render_pdf(ctx: PacketContext) -> bytes:
    from django.template.loader import render_to_string

    # Deferred: the PDF renderer loads only when a packet is rendered.
    from vigil.lib.pdf import html_to_pdf

    secs = sections(ctx)
    rendered = []
    for s in secs:
        rows = [[_shown(item.get(k)) for k, _ in s.columns] for item in s.items]
        records = [[(h, _shown(item.get(k))) for k, h in s.columns] for item in s.items]
        rendered.append(
            {"section": s, "headings": [h for _, h in s.columns], "rows": rows, "records": records}
        )
    r = ctx.referral
    html = render_to_string(
        "referrals/packet_pdf.html",
        {
            "title": f"Referral #{r.pk} to {r.office.name}" if r else "Tip data",
            "referral": r,
            "sections": rendered,
            "generated_at": timezone.now(),
            "actor": ctx.actor,
            "tip_count": len(ctx.tips),
        },
    )
    from pathlib import Path

    return html_to_pdf(html, base_dir=Path(__file__).resolve().parent / "static" / "referrals")
