"""Every change to tips, selectors, notes, evidence and sources goes through here.

Each action checks the actor's rights, makes the change, writes the audit row
and sends the selector signals, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.core import request_context
from vigil.lib import crypto
from vigil.lib import selectors as sel
from vigil.tips import search
from vigil.tips.models import (
    EvidenceItem,
    EvidenceTransfer,
    ResearchNote,
    Selector,
    Source,
    Tip,
)
from vigil.tips.signals import selectors_added, selectors_added_bulk, selectors_removed

T = Selector.Type
HASHED_TYPES = {T.SSN, T.CARD}
MAX_NARRATIVE = 100_000
MAX_SELECTOR_RAW = 1024
MAX_ATTACHMENT = 50 * 1024 * 1024
_HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX_RE = re.compile(r"^[0-9a-f]+$")
_TIP_FIELDS = ["source_reference", "received_at", "received_via", "narrative", "country"]

_TYPE_VALUES = frozenset(T.values)
TYPE_HELP = {
    T.IP: "an IPv4 or IPv6 address",
    T.EMAIL: "an e-mail address",
    T.URL: "a URL",
    T.DOMAIN: "a domain name",
    T.ONLINE_ID: "an online ID written platform:handle",
    T.PHONE: "a phone number (with its country code, or set the tip's country)",
    T.PERSON: "a name",
    T.ADDRESS: "a postal address",
    T.VEHICLE: "a plate, optionally STATE:PLATE",
    T.SSN: "a 9-digit SSN",
    T.CARD: "a payment card number (13-19 digits passing the Luhn check)",
    T.FILE_HASH: "an MD5, SHA-1 or SHA-256 hex digest",
    T.ATTRIBUTE: "a key: value attribute",
}


@dataclass
class SelectorInput:
    """One selector as given by a person, a form, the API or an import row."""

    type: str
    raw: str
    details: dict[str, Any] = field(default_factory=dict)
    observed_at: dt.datetime | None = None
    port: int | None = None
    platform: str | None = None


# --- selectors ------------------------------------------------------------------------


def _file_hash(raw: str) -> str | None:
    text = raw.strip().lower()
    if ":" in text:  # "md5:abcd…"
        text = text.split(":", 1)[1].strip()
    if len(text) in _HASH_LENGTHS and _HEX_RE.match(text):
        return text
    return None


# Bulk imports repeat values (a shared phone, a provider's domain): each distinct one is
# normalised once (phonenumbers and URL parsing are the costly part). Pure functions of
# their arguments; the caches are bounded.
_ip_observation = lru_cache(maxsize=16384)(sel.parse_ip_observation)


@lru_cache(maxsize=65536)
def _normal_form(
    kind: str, raw: str, region: str | None, platform: str | None
) -> tuple[str | None, bool]:
    """(normal form or None, validated) of a selector other than IP, hash or attribute."""
    value = sel.normalise(kind, raw, default_region=region, platform=platform)
    if not value and kind == T.PHONE:
        # A reserved or too-new range libphonenumber calls invalid: keep the
        # number (best-effort normal form, flagged on equal forms), marked.
        best = sel.phone_best_effort(raw, region)
        if best:
            return best, False
    return value, True


def build_selector(
    tip: Tip, item: SelectorInput, *, extracted: bool = False, region: str | None = None
) -> Selector:
    """An unsaved Selector for `tip`, or ValidationError naming what is wrong."""
    kind = item.type
    if kind not in _TYPE_VALUES:
        raise ValidationError(f"unknown selector type {kind!r}")
    raw = (item.raw or "").strip()
    if not raw:
        raise ValidationError(f"{kind}: empty value")
    if len(raw) > MAX_SELECTOR_RAW:
        raise ValidationError(
            f"{kind}: value is {len(raw):,} characters long (limit {MAX_SELECTOR_RAW:,})"
        )
    details = dict(item.details or {})
    observed_at, port = item.observed_at, item.port
    if region is None:
        region = tip.country or (tip.source.country if tip.source_id else "") or None
    if kind == T.FILE_HASH:
        value = _file_hash(raw)
        if value:
            details.setdefault("algorithm", _HASH_LENGTHS[len(value)])
    elif kind == T.ATTRIBUTE:
        key, colon, rest = raw.partition(":")
        key = details.get("key") or (key.strip() if colon else "")
        text = rest if colon and not details.get("key") else raw
        norm = sel.normalise(T.ATTRIBUTE, text)
        value = f"{key.strip().lower()}: {norm}" if norm and key else norm
        if key:
            details["key"] = key.strip()
    elif kind == T.IP:
        obs = _ip_observation(raw)
        value = obs.ip if obs else None
        if obs:
            observed_at = observed_at or obs.seen_at
            port = port or obs.port
    else:
        # SSNs and card numbers are not kept in plain text in a cache.
        normal = _normal_form.__wrapped__ if kind in HASHED_TYPES else _normal_form
        value, validated = normal(kind, raw, region, item.platform)
        if not validated:
            details["validated"] = False
    if not value:
        if kind in HASHED_TYPES:  # an error message is stored (import summaries): no echo
            raise ValidationError(f"{kind}: the value is not {TYPE_HELP[kind]} (value not shown)")
        raise ValidationError(f"{kind}: {raw[:80]!r} is not {TYPE_HELP.get(kind, 'valid')}")
    selector = Selector(
        tip=tip,
        type=kind,
        raw=raw,
        value=value[:512],
        observed_at=observed_at,
        port=port,
        details=details,
        extracted=extracted,
        confirmed=not extracted,
    )
    if kind in HASHED_TYPES:
        selector.value = crypto.keyed_hash(kind, value)
        selector.encrypted = crypto.encrypt_field(value)
        selector.masked = crypto.mask(kind, value)
        selector.raw = ""
    return selector


def extract_inputs(text: str, *, region: str | None) -> list[SelectorInput]:
    return [SelectorInput(e.type, e.raw) for e in sel.extract(text or "", region=region or "US")]


@lru_cache(maxsize=256)
def _extract_cached(text: str, region: str) -> tuple[tuple[str, str, str], ...]:
    # Bulk imports often repeat one text (an IP list's shared note) on every row.
    return tuple(
        (e.type, e.raw[:MAX_SELECTOR_RAW], e.value[:512]) for e in sel.extract(text, region=region)
    )


def _extracted_selectors(tip: Tip, text: str) -> list[Selector]:
    if not text:
        return []
    region = tip.country or (tip.source.country if tip.source_id else "") or "US"
    return [
        Selector(tip=tip, type=kind, raw=raw, value=value, extracted=True, confirmed=False)
        for kind, raw, value in _extract_cached(text, region)
    ]


def _label(s: Selector) -> str:
    return f"{s.type}:{s.masked or s.value}"


def _flag_count(responses: list[tuple[Any, Any]]) -> int:
    return sum(r for _receiver, r in responses if isinstance(r, int) and not isinstance(r, bool))


def emit_added(tip: Tip, added: list[Selector], actor: Any) -> int:
    """Tell listeners (deconfliction); returns the flags they report raising."""
    if not added:
        return 0
    return _flag_count(selectors_added.send(sender=Tip, tip=tip, selectors=added, actor=actor))


def emit_added_bulk(items: list[tuple[Tip, list[Selector]]], actor: Any) -> int:
    """One signal for a whole batch (bulk import): listeners probe once per batch."""
    items = [(tip, added) for tip, added in items if added]
    if not items:
        return 0
    return _flag_count(selectors_added_bulk.send(sender=Tip, items=items, actor=actor))


def save_selectors(
    tip: Tip, candidates: Sequence[Selector], *, actor: Any
) -> tuple[list[Selector], int]:
    """Insert the candidates that are new on `tip` (dedupe on type+value), send the signal.

    An explicit selector matching an unconfirmed extracted one confirms it.
    Returns (added, flags raised). Caller holds the transaction and has checked rights.
    """
    existing = {(s.type, s.value): s for s in tip.selectors.all()}
    fresh: dict[tuple[str, str], Selector] = {}
    confirmed = []
    for cand in candidates:
        key = (cand.type, cand.value)
        old = existing.get(key)
        if old is not None:
            if not cand.extracted and not old.confirmed:
                old.confirmed = True
                old.save(update_fields=["confirmed"])
                confirmed.append(old)
            continue
        if key in fresh:
            if not cand.extracted and fresh[key].extracted:
                fresh[key] = cand  # explicit wins over extracted
            continue
        fresh[key] = cand
    added = Selector.objects.bulk_create(list(fresh.values()))
    return added, emit_added(tip, added, actor)


def _require_write(tip: Tip, actor: Any) -> None:
    if not Tip.objects.for_user(actor, access.WRITE).filter(pk=tip.pk).exists():
        if Tip.objects.for_user(actor, access.READ).filter(pk=tip.pk).exists():
            raise PermissionDenied(
                "Only the assigned investigator or a manager may change this tip."
            )
        raise PermissionDenied


def do_add_selectors(
    tip: Tip, items: Iterable[SelectorInput], *, actor: Any, extracted: bool = False
) -> list[Selector]:
    """Validate every item first (all or nothing), then add the new ones."""
    _require_write(tip, actor)
    built, errors = [], []
    for item in items:
        try:
            built.append(build_selector(tip, item, extracted=extracted))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        added, _flags = save_selectors(tip, built, actor=actor)
        if added:
            record(
                "tip.selectors_add",
                actor=actor,
                obj=tip,
                changes={"added": [_label(s) for s in added]},
                summary=f"{len(added)} selector(s) added",
            )
    return added


def do_confirm_selector(selector: Selector, *, actor: Any) -> Selector:
    _require_write(selector.tip, actor)
    with transaction.atomic():
        if not selector.confirmed:
            selector.confirmed = True
            selector.save(update_fields=["confirmed"])
            record(
                "tip.selector_confirm",
                actor=actor,
                obj=selector.tip,
                changes={"confirmed": _label(selector)},
                summary=f"confirmed {selector.get_type_display()}",
            )
    return selector


def do_remove_selector(selector: Selector, *, actor: Any, reason: str = "") -> None:
    tip = selector.tip
    _require_write(tip, actor)
    with transaction.atomic():
        label = _label(selector)
        key = (selector.type, selector.value)
        selector.delete()
        record(
            "tip.selector_remove",
            actor=actor,
            obj=tip,
            changes={"removed": label, "reason": reason},
            summary=f"removed {key[0]} selector",
        )
        selectors_removed.send(sender=Tip, tip=tip, selectors=[key], actor=actor)


# --- tips -----------------------------------------------------------------------------


def source_warning_for(source: Source) -> str:
    if not source.is_flagged:
        return ""
    text = f"Source marked {source.get_reliability_display().lower()}"
    if source.reliability_note:
        text += f": {source.reliability_note}"
    return text[:200]


def _clean_country(country: str) -> str:
    country = (country or "").strip().upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise ValidationError(f"country: {country!r} is not a two-letter ISO 3166 code")
    return country


def do_create_tip(
    *,
    actor: Any,
    source: Source,
    narrative: str = "",
    source_reference: str = "",
    received_at: dt.datetime | None = None,
    received_via: str = Tip.Via.WEB,
    country: str = "",
    priority: int = Tip.Priority.OTHER,
    selectors: Sequence[SelectorInput] = (),
    attributes: dict | None = None,
    extract: bool = True,
) -> Tip:
    """A new tip with its selectors. An investigator who creates a tip is assigned to it."""
    access.require(access.can_create(actor))
    narrative = narrative or ""
    if len(narrative) > MAX_NARRATIVE:
        raise ValidationError(f"narrative: {len(narrative):,} characters (limit {MAX_NARRATIVE:,})")
    if priority not in Tip.Priority.values:
        raise ValidationError(f"priority: {priority!r} is not one of {Tip.Priority.values}")
    if received_via not in Tip.Via.values:
        raise ValidationError(f"received_via: {received_via!r} is not one of {Tip.Via.values}")
    source_reference = (source_reference or "").strip()
    if not source_reference:
        source_reference = f"VIG-{timezone.now():%Y%m%d}-{secrets.token_hex(4).upper()}"
    if len(source_reference) > 200:
        raise ValidationError("source_reference: longer than 200 characters")
    if Tip.objects.filter(source=source, source_reference=source_reference).exists():
        raise ValidationError(
            f"{source.name} already has a tip with reference {source_reference!r}."
        )
    tip = Tip(
        source=source,
        source_reference=source_reference,
        received_at=received_at or timezone.now(),
        received_via=received_via,
        narrative=narrative,
        country=_clean_country(country),
        priority=priority,
        source_warning=source_warning_for(source),
        attributes=attributes or {},
        created_by=actor,
        assigned_to=actor if actor.role == "investigator" else None,
    )
    built, errors = [], []
    for item in selectors:
        try:
            built.append(build_selector(tip, item))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        tip.save()
        for s in built:
            s.tip = tip
        candidates = built + (_extracted_selectors(tip, narrative) if extract else [])
        added, _flags = save_selectors(tip, candidates, actor=actor)
        search.index_tips([(tip.pk, tip.narrative)])
        record(
            "tip.create",
            actor=actor,
            obj=tip,
            changes={
                **snapshot(tip, [*_TIP_FIELDS, "source", "priority", "assigned_to"]),
                "selectors": [_label(s) for s in added],
                **({"source_warning": tip.source_warning} if tip.source_warning else {}),
            },
            summary=f"{source.name} {source_reference}",
        )
    return tip


def do_update_tip(tip: Tip, *, actor: Any, **fields: Any) -> Tip:
    """Change narrative, reference, dates, via or country; new selectors in the narrative are proposed."""
    _require_write(tip, actor)
    allowed = set(_TIP_FIELDS)
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"cannot change {', '.join(sorted(unknown))} here")
    if "narrative" in fields and len(fields["narrative"] or "") > MAX_NARRATIVE:
        raise ValidationError(f"narrative: longer than {MAX_NARRATIVE:,} characters")
    if "country" in fields:
        fields["country"] = _clean_country(fields["country"])
    if "received_via" in fields and fields["received_via"] not in Tip.Via.values:
        raise ValidationError(
            f"received_via: {str(fields['received_via'])[:40]!r} is not one of {', '.join(Tip.Via.values)}"
        )
    if "source_reference" in fields:
        ref = (fields["source_reference"] or "").strip()
        if not ref:
            raise ValidationError("source_reference: required")
        if len(ref) > 200:
            raise ValidationError("source_reference: longer than 200 characters")
        if Tip.objects.filter(source=tip.source, source_reference=ref).exclude(pk=tip.pk).exists():
            raise ValidationError(f"{tip.source.name} already has a tip with reference {ref!r}.")
        fields["source_reference"] = ref
    before = snapshot(tip, _TIP_FIELDS)
    for name, value in fields.items():
        setattr(tip, name, value)
    changes = diff(before, snapshot(tip, _TIP_FIELDS))
    if not changes:
        return tip
    with transaction.atomic():
        tip.save()
        added: list[Selector] = []
        if "narrative" in changes:
            added, _ = save_selectors(tip, _extracted_selectors(tip, tip.narrative), actor=actor)
            search.index_tips([(tip.pk, tip.narrative)])
        if added:
            changes["selectors_proposed"] = [_label(s) for s in added]
        record("tip.update", actor=actor, obj=tip, changes=changes, summary=str(tip))
        access.check_in_scope(tip, actor)
    return tip


TRIAGE_STATUSES = {
    Tip.Status.IN_REVIEW,
    Tip.Status.ACTIONABLE,
    Tip.Status.NOT_ACTIONABLE,
    Tip.Status.UNFOUNDED,
}


def do_triage_tip(tip: Tip, status: str, *, actor: Any, reason: str = "") -> Tip:
    """Set the triage outcome. Not actionable and unfounded need a reason; the tip stays."""
    _require_write(tip, actor)
    if status not in TRIAGE_STATUSES:
        raise ValidationError(f"status: {status!r} is not one of {sorted(TRIAGE_STATUSES)}")
    reason = (reason or "").strip()
    if status in {Tip.Status.NOT_ACTIONABLE, Tip.Status.UNFOUNDED} and not reason:
        raise ValidationError(
            f"A reason is required to mark a tip {Tip.Status(status).label.lower()}."
        )
    before = snapshot(tip, ["status", "status_reason"])
    tip.status, tip.status_reason = status, reason
    with transaction.atomic():
        tip.save(update_fields=["status", "status_reason", "updated_at"])
        record(
            "tip.triage",
            actor=actor,
            obj=tip,
            changes=diff(before, snapshot(tip, ["status", "status_reason"])),
            summary=f"{tip.get_status_display()}" + (f": {reason[:200]}" if reason else ""),
        )
    return tip


def do_set_priority(tip: Tip, priority: int, *, actor: Any) -> Tip:
    _require_write(tip, actor)
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        raise ValidationError(f"priority: {priority!r} is not a number") from None
    if priority not in Tip.Priority.values:
        raise ValidationError(f"priority: {priority} is not one of {Tip.Priority.values}")
    if tip.priority == priority:
        return tip
    before = tip.priority
    tip.priority = priority
    with transaction.atomic():
        tip.save(update_fields=["priority", "updated_at"])
        record(
            "tip.priority",
            actor=actor,
            obj=tip,
            changes={"priority": {"before": before, "after": priority}},
            summary=tip.get_priority_display(),
        )
    return tip


def do_assign_tip(tip: Tip, assignee: Any, *, actor: Any) -> Tip:
    """Managers assign (or unassign) anyone assignable; an investigator may take an unassigned tip."""
    from django.contrib.auth import get_user_model

    if access.is_manager(actor):
        pass
    elif (
        access.can_create(actor)
        and tip.assigned_to_id is None
        and assignee is not None
        and assignee.pk == actor.pk
    ):
        if not Tip.objects.for_user(actor).filter(pk=tip.pk).exists():
            raise PermissionDenied
    else:
        if not Tip.objects.for_user(actor).filter(pk=tip.pk).exists():
            raise PermissionDenied
        raise PermissionDenied(
            "Only a manager assigns tips; an investigator may take an unassigned one."
        )
    if (
        assignee is not None
        and not get_user_model().objects.assignable().filter(pk=assignee.pk).exists()
    ):
        raise ValidationError(f"{assignee.username} cannot be assigned tips.")
    if tip.assigned_to_id == (assignee.pk if assignee else None):
        return tip
    before = tip.assigned_to.username if tip.assigned_to else None
    tip.assigned_to = assignee
    with transaction.atomic():
        tip.save(update_fields=["assigned_to", "updated_at"])
        if tip.status == Tip.Status.NEW and assignee is not None:
            tip.status = Tip.Status.IN_REVIEW
            tip.save(update_fields=["status"])
        record(
            "tip.assign",
            actor=actor,
            obj=tip,
            changes={
                "assigned_to": {"before": before, "after": assignee.username if assignee else None}
            },
            summary=f"assigned to {assignee.username}" if assignee else "unassigned",
        )
        if assignee is not None and assignee.pk != actor.pk:
            from django.urls import reverse

            from vigil.messaging.actions import do_notify

            do_notify(
                assignee,
                subject=f"Tip assigned to you: {tip}",
                link=reverse("tips-detail", args=[tip.pk]),
            )
    return tip


# --- research notes and evidence --------------------------------------------------------


def _safe_name(name: str) -> str:
    base = Path(name or "attachment").name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "attachment"
    return base[:100]


class _Measured:
    """A file read once: its SHA-256 and size on the way, refused past `limit` bytes."""

    def __init__(self, fh: Any, limit: int):
        self.fh, self.limit, self.total, self.digest = fh, limit, 0, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.total += len(data)
        if self.total > self.limit:
            raise ValidationError("The attachment is too large.")
        self.digest.update(data)
        return data


def do_add_research_note(
    tip: Tip, body: str, *, actor: Any, attachment: Any = None
) -> ResearchNote:
    """Append a note. `attachment` (an uploaded file) holds research results, never evidence."""
    _require_write(tip, actor)
    body = (body or "").strip()
    if not body:
        raise ValidationError("A note needs some text.")
    if len(body) > MAX_NARRATIVE:
        raise ValidationError(f"note: longer than {MAX_NARRATIVE:,} characters")
    note = ResearchNote(tip=tip, author=actor, body=body)
    stored: Path | None = None
    if attachment is not None:
        size = getattr(attachment, "size", None)
        if size is not None and size > MAX_ATTACHMENT:
            raise ValidationError(
                f"The attachment is larger than {MAX_ATTACHMENT // (1024 * 1024)} MB."
            )
        # Sealed like media (it may hold what research found about a person).
        rel = Path("research") / str(tip.pk) / f"{uuid.uuid4().hex}.sealed"
        stored = Path(settings.UPLOAD_DIR) / rel
        if hasattr(attachment, "seek"):
            attachment.seek(0)
        measured = _Measured(attachment, MAX_ATTACHMENT)
        try:
            note.attachment_key = crypto.seal_file(measured, stored)  # type: ignore[arg-type]
        except ValidationError:
            stored.with_name(stored.name + ".part").unlink(missing_ok=True)
            raise
        digest, total = measured.digest, measured.total
        note.attachment_name = Path(attachment.name or "attachment").name[:255]
        note.attachment_path = str(rel)
        note.attachment_size = total
        note.attachment_sha256 = digest.hexdigest()
    try:
        with transaction.atomic():
            note.save()
            search.index_note(note.pk, tip.pk, body)
            record(
                "tip.note_add",
                actor=actor,
                obj=tip,
                changes={
                    "note": note.pk,
                    **(
                        {"attachment": note.attachment_name, "sha256": note.attachment_sha256}
                        if stored
                        else {}
                    ),
                },
                summary=f"research note #{note.pk}",
            )
    except Exception:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    return note


def _required(**values: str) -> None:
    missing = [k.replace("_", " ") for k, v in values.items() if not (v or "").strip()]
    if missing:
        raise ValidationError(f"Required: {', '.join(missing)}.")


def do_add_evidence_item(
    tip: Tip,
    *,
    actor: Any,
    description: str,
    received_from: str,
    received_at: dt.datetime,
    stored_at: str,
) -> EvidenceItem:
    _require_write(tip, actor)
    _required(description=description, received_from=received_from, stored_at=stored_at)
    if received_at is None:
        raise ValidationError("Required: received at.")
    item = EvidenceItem(
        tip=tip,
        description=description.strip()[:500],
        received_from=received_from.strip()[:200],
        received_at=received_at,
        stored_at=stored_at.strip()[:300],
        recorded_by=actor,
    )
    with transaction.atomic():
        item.save()
        record(
            "tip.evidence_add",
            actor=actor,
            obj=tip,
            changes=snapshot(
                item, ["id", "description", "received_from", "received_at", "stored_at"]
            ),
            summary=f"evidence #{item.pk}: {item.description[:100]}",
        )
    return item


def do_record_evidence_transfer(
    item: EvidenceItem,
    *,
    actor: Any,
    from_party: str,
    to_party: str,
    transferred_at: dt.datetime,
    stored_at: str,
    note: str = "",
) -> EvidenceTransfer:
    _require_write(item.tip, actor)
    _required(from_party=from_party, to_party=to_party, stored_at=stored_at)
    if transferred_at is None:
        raise ValidationError("Required: transferred at.")
    if transferred_at < item.received_at:
        raise ValidationError("A transfer cannot predate the receipt of the item.")
    transfer = EvidenceTransfer(
        item=item,
        from_party=from_party.strip()[:200],
        to_party=to_party.strip()[:200],
        transferred_at=transferred_at,
        stored_at=stored_at.strip()[:300],
        note=(note or "").strip(),
        recorded_by=actor,
    )
    with transaction.atomic():
        transfer.save()
        EvidenceItem.objects.filter(pk=item.pk).update(stored_at=transfer.stored_at)
        item.stored_at = transfer.stored_at
        record(
            "tip.evidence_transfer",
            actor=actor,
            obj=item.tip,
            changes=snapshot(
                transfer, ["item", "from_party", "to_party", "transferred_at", "stored_at", "note"]
            ),
            summary=f"evidence #{item.pk}: {transfer.from_party} → {transfer.to_party}",
        )
    return transfer


# --- sources --------------------------------------------------------------------------

_SOURCE_FIELDS = ["name", "kind", "country", "reliability", "reliability_note", "contact", "active"]


def _validate_source(source: Source) -> None:
    source.name = (source.name or "").strip()
    if not source.name:
        raise ValidationError("A source needs a name.")
    if source.kind not in Source.Kind.values:
        raise ValidationError(f"kind: {source.kind!r} is not one of {Source.Kind.values}")
    if source.reliability not in Source.Reliability.values:
        raise ValidationError(
            f"reliability: {source.reliability!r} is not one of {Source.Reliability.values}"
        )
    if len(source.name) > 200:
        raise ValidationError("name: longer than 200 characters")
    for name in ("reliability_note", "contact"):
        if len(getattr(source, name) or "") > 2000:
            raise ValidationError(f"{name}: longer than 2,000 characters")
    source.country = _clean_country(source.country)
    clash = Source.objects.filter(name__iexact=source.name)
    if source.pk:
        clash = clash.exclude(pk=source.pk)
    if clash.exists():
        raise ValidationError(f"A source named {source.name!r} exists already.")
    if source.reliability != Source.Reliability.RELIABLE and not source.reliability_note.strip():
        raise ValidationError("Say why the source is marked unreliable or malicious.")


def do_create_source(*, actor: Any, name: str, **fields: Any) -> Source:
    access.require(access.can_manage_reference_data(actor))
    unknown = set(fields) - set(_SOURCE_FIELDS)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(unknown))}")
    source = Source(name=name, **fields)
    _validate_source(source)
    with transaction.atomic():
        source.save()
        record(
            "source.create",
            actor=actor,
            obj=source,
            changes=snapshot(source, _SOURCE_FIELDS),
            summary=source.name,
        )
    return source


def do_update_source(source: Source, *, actor: Any, **fields: Any) -> Source:
    access.require(access.can_manage_reference_data(actor))
    unknown = set(fields) - set(_SOURCE_FIELDS)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(unknown))}")
    before = snapshot(source, _SOURCE_FIELDS)
    for k, v in fields.items():
        setattr(source, k, v)
    _validate_source(source)
    changes = diff(before, snapshot(source, _SOURCE_FIELDS))
    if not changes:
        return source
    with transaction.atomic():
        source.save()
        record("source.update", actor=actor, obj=source, changes=changes, summary=source.name)
    return source


def get_or_refuse_source(name: str) -> Source:
    source = Source.objects.filter(name__iexact=(name or "").strip()).first()
    if source is None:
        raise ValidationError(
            f"unknown source {name!r}: add it to the sources directory first (a manager can)."
        )
    return source


def do_resume_import(job: Any, *, actor: Any) -> None:
    """Queue a failed web import again from its last committed batch (its sealed file was kept)."""
    from vigil.tips import tasks
    from vigil.tips.models import ImportJob

    access.require(access.can_create(actor))
    if not ImportJob.objects.for_user(actor, access.WRITE).filter(pk=job.pk).exists():
        raise PermissionDenied
    if job.status != ImportJob.Status.FAILED or not job.file_path:
        raise ValidationError("Only a failed import whose file is still stored can be resumed.")
    with transaction.atomic():
        record(
            "tip.import_resume",
            actor=actor,
            obj=job,
            changes={"rows_committed": (job.summary or {}).get("rows_read", 0)},
            summary=job.original_name[:300],
        )
        request_id = request_context.current().request_id
        transaction.on_commit(lambda: tasks.resume_import_job(job, request_id))
