"""Write path of subpoenas: draft, approve, serve, response, chain, close, render, template."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import record
from vigil.core.signals import disclosed
from vigil.lib import crypto
from vigil.lib import selectors as sel
from vigil.lib.names import normalise_name
from vigil.lookups.models import Provider
from vigil.subpoenas import document
from vigil.subpoenas.models import (
    Category,
    Subpoena,
    SubpoenaIdentifier,
    SubpoenaResponse,
    SubpoenaTemplate,
)
from vigil.tips import actions as tip_actions
from vigil.tips.models import Selector, Tip

S = Subpoena.Status
IDENTIFIER_TYPES = {"ip", "email", "online_id", "phone", "domain", "url"}
RESPONSE_STATES = {S.RESPONSE_RECEIVED, S.NO_RECORDS, S.NOT_OUR_CUSTOMER}
MAX_RESPONSE_FILE = 50 * 1024 * 1024
MAX_LINES = 5000
_SPLIT = re.compile(r"[\n;,]+")


# --- permissions ------------------------------------------------------------------------------


def can_write(user: Any, subpoena_or_tip: Subpoena | Tip) -> bool:
    tip = subpoena_or_tip.tip if isinstance(subpoena_or_tip, Subpoena) else subpoena_or_tip
    return Tip.objects.for_user(user, access.WRITE).filter(pk=tip.pk).exists()


def _require_write(user: Any, obj: Subpoena | Tip) -> None:
    if not can_write(user, obj):
        raise PermissionDenied("Only the assigned investigator or a manager may do this.")


def _require_status(subpoena: Subpoena, *allowed: str) -> None:
    if subpoena.status not in allowed:
        names = " or ".join(S(a).label.lower() for a in allowed)
        raise ValidationError(
            f"{subpoena.reference} is {subpoena.get_status_display().lower()}; this step needs it {names}."
        )


def validate_categories(categories: Iterable[str]) -> list[str]:
    """The categories, in canonical order; anything § 2703(c)(2) does not allow is refused."""
    given = [str(c).strip() for c in categories if str(c).strip()]
    allowed = set(Category.values)
    wrong = [c for c in given if c not in allowed]
    if wrong:
        raise ValidationError(
            f"{', '.join(repr(w) for w in wrong)} cannot be asked for: an administrative subpoena "
            f"may ask only for the records 18 U.S.C. § 2703(c)(2) lists ({', '.join(Category.values)})."
        )
    if not given:
        raise ValidationError("Pick at least one record category.")
    return [c for c in Category.values if c in given]


def _zone(name: str) -> str:
    name = (name or "UTC").strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"{name!r} is not a time zone (e.g. UTC, America/New_York)."
        ) from None
    return name


# --- drafting ---------------------------------------------------------------------------------


def do_draft_subpoena(
    tip: Tip,
    *,
    actor: Any,
    provider: Provider,
    selector_ids: Iterable[int],
    categories: Iterable[str],
    time_zone: str = "UTC",
    due_date: dt.date | None = None,
    parent: Subpoena | None = None,
) -> Subpoena:
    _require_write(actor, tip)
    cats = validate_categories(categories)
    zone = _zone(time_zone)
    ids = {int(i) for i in selector_ids}
    if not ids:
        raise ValidationError("Pick at least one identifier (an IP, an e-mail, an online ID…).")
    chosen = list(Selector.objects.filter(tip=tip, pk__in=ids))
    if len(chosen) != len(ids):
        raise ValidationError("An identifier picked is not on this tip.")
    errors = []
    for s in chosen:
        if s.type not in IDENTIFIER_TYPES:
            errors.append(f"{s.get_type_display()} cannot be a subpoena identifier.")
        elif s.type == Selector.Type.IP and s.observed_at is None:
            errors.append(
                f"IP {s.value} has no observation date and time: a provider can name the "
                "subscriber of an address only for a moment in time. Add it to the selector first."
            )
    if errors:
        raise ValidationError(errors)
    if not provider.active:
        raise ValidationError(f"{provider.name} is marked inactive in the provider directory.")
    with transaction.atomic():
        sub = Subpoena.objects.create(
            tip=tip,
            provider=provider,
            parent=parent,
            categories=cats,
            time_zone=zone,
            due_date=due_date,
            drafted_by=actor,
        )
        SubpoenaIdentifier.objects.bulk_create(
            [
                SubpoenaIdentifier(
                    subpoena=sub,
                    selector=s,
                    type=s.type,
                    value=s.value,
                    observed_at=s.observed_at,
                    port=s.port,
                )
                for s in sorted(chosen, key=lambda s: s.pk)
            ]
        )
        record(
            "subpoena.draft",
            actor=actor,
            obj=sub,
            changes={
                "tip": tip.pk,
                "provider": provider.name,
                "categories": cats,
                "identifiers": [f"{s.type}:{s.value}" for s in chosen],
                "parent": parent.pk if parent else None,
            },
            summary=f"{sub.reference} to {provider.name}",
        )
    return sub


def do_approve_subpoena(subpoena: Subpoena, *, actor: Any) -> Subpoena:
    if not access.is_manager(actor):
        raise PermissionDenied("Only a manager approves a subpoena.")
    _require_status(subpoena, S.DRAFTED)
    with transaction.atomic():
        subpoena.status = S.APPROVED
        subpoena.approved_by = actor
        subpoena.approved_at = timezone.now()
        subpoena.save(update_fields=["status", "approved_by", "approved_at"])
        record("subpoena.approve", actor=actor, obj=subpoena, summary=subpoena.reference)
    return subpoena


def do_serve_subpoena(
    subpoena: Subpoena,
    *,
    actor: Any,
    method: str,
    served_on: dt.date | None = None,
    due_date: dt.date | None = None,
) -> Subpoena:
    _require_write(actor, subpoena)
    _require_status(subpoena, S.APPROVED)
    if method not in Subpoena.Method.values:
        raise ValidationError(f"Service method must be one of {', '.join(Subpoena.Method.values)}.")
    now = timezone.now()
    served_at = (
        dt.datetime.combine(served_on, dt.time(12), tzinfo=dt.UTC) if served_on is not None else now
    )
    if served_at > now + dt.timedelta(days=1):
        raise ValidationError("A subpoena cannot be served in the future.")
    due = (
        due_date
        or subpoena.due_date
        or (served_at.date() + dt.timedelta(days=settings.SUBPOENA_RESPONSE_DAYS))
    )
    if due < served_at.date():
        raise ValidationError("The due date is before the service date.")
    with transaction.atomic():
        subpoena.status = S.SERVED
        subpoena.served_by = actor
        subpoena.served_at = served_at
        subpoena.service_method = method
        subpoena.due_date = due
        subpoena.save(
            update_fields=["status", "served_by", "served_at", "service_method", "due_date"]
        )
        record(
            "subpoena.serve",
            actor=actor,
            obj=subpoena,
            changes={"method": method, "served_at": served_at, "due_date": due},
            summary=f"{subpoena.reference} served on {subpoena.provider.name} by {method}",
        )
        disclosed.send(
            sender=Subpoena,
            records=[("tip", subpoena.tip_id)],
            recipient=subpoena.provider.name,
            purpose=f"Administrative subpoena {subpoena.reference} (18 U.S.C. § 2703(c)(2))",
            method=method,
            actor=actor,
            source=subpoena,
        )
    return subpoena


# --- responses --------------------------------------------------------------------------------


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        out = []
        for v in value:
            out.extend(_items(v))
        return out
    return [p.strip() for p in _SPLIT.split(str(value)) if p.strip()]


def parse_response_csv(data: bytes) -> dict[str, Any]:
    """A CSV with any of the columns name, address, phone, email, account, payment, session
    (one value per cell, several rows allowed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The response CSV is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text))
    cols = {c.strip().lower(): c for c in reader.fieldnames or []}
    known = {"name", "address", "phone", "email", "account", "payment", "session"}
    if not cols or not set(cols) & known:
        raise ValidationError(
            "The response CSV needs a header with some of: " + ", ".join(sorted(known)) + "."
        )
    unknown = set(cols) - known
    if unknown:
        raise ValidationError(f"Unknown response column(s): {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {k: [] for k in known}
    for n, row in enumerate(reader, start=2):
        if n > MAX_LINES:
            raise ValidationError(f"The response CSV has more than {MAX_LINES} lines.")
        for key, col in cols.items():
            v = (row.get(col) or "").strip()
            if v:
                out[key].append(v)
    return {
        "subscriber_name": "; ".join(dict.fromkeys(out["name"])),
        "address": "\n".join(dict.fromkeys(out["address"])),
        "phones": out["phone"],
        "emails": out["email"],
        "account_ids": out["account"],
        "payment": out["payment"][0] if out["payment"] else "",
        "sessions": out["session"],
    }


def _mask_payment(text: str) -> tuple[str, str | None]:
    """(masked text, card number or None)."""
    digits = re.sub(r"\D", "", text)
    card = sel.normalise("card", text) if 13 <= len(digits) <= 19 else None
    if card:
        return crypto.mask("card", card), card
    if len(digits) >= 6:  # a bank account: keep the last four only
        return f"account ending {digits[-4:]}", None
    return text[:200], None


def _contradiction(subpoena: Subpoena, name: str) -> str:
    """Why this answer contradicts what is known, or ''."""
    if not name:
        return ""
    key = normalise_name(name)
    reasons = []
    people = [
        s.raw or s.value
        for s in subpoena.tip.selectors.filter(type=Selector.Type.PERSON)
        if not (s.details or {}).get("from_subpoena")
    ]
    if people and all(normalise_name(p) != key for p in people):
        reasons.append(f"the tip names {', '.join(people[:3])}, the provider names {name}")
    ips = [(i.value, i.observed_at) for i in subpoena.identifiers.filter(type="ip")]
    for value, when in ips:
        others = (
            SubpoenaResponse.objects.filter(
                subpoena__identifiers__type="ip",
                subpoena__identifiers__value=value,
                subpoena__identifiers__observed_at=when,
            )
            .exclude(subpoena=subpoena)
            .exclude(subscriber_name="")
        )
        for other in others.select_related("subpoena"):
            if normalise_name(other.subscriber_name) != key:
                reasons.append(
                    f"{other.subpoena.reference} names {other.subscriber_name} for {value} at the same time"
                )
    return "; ".join(dict.fromkeys(reasons))


def do_record_response(
    subpoena: Subpoena,
    *,
    actor: Any,
    outcome: str,
    subscriber_name: str = "",
    address: str = "",
    phones: Any = None,
    emails: Any = None,
    account_ids: Any = None,
    payment: str = "",
    sessions: Any = None,
    not_customer_entity: str = "",
) -> dict[str, Any]:
    """Record the provider's answer. A response becomes selectors on the tip (deconfliction runs
    on them) and a research note; "not our customer" naming an entity drafts the chained subpoena."""
    _require_write(actor, subpoena)
    _require_status(subpoena, S.SERVED)
    if outcome not in Subpoena.Outcome.values:
        raise ValidationError(f"Outcome must be one of {', '.join(Subpoena.Outcome.values)}.")
    tip = subpoena.tip
    result: dict[str, Any] = {"selectors": 0, "flags": 0, "chained": None, "contradiction": ""}
    lines = [
        line.strip()
        for line in (sessions if isinstance(sessions, list) else str(sessions or "").splitlines())
        if str(line).strip()
    ]
    if len(lines) > MAX_LINES:
        raise ValidationError(f"More than {MAX_LINES} session lines.")
    phones_l, emails_l, accounts_l = _items(phones), _items(emails), _items(account_ids)
    subscriber_name = (subscriber_name or "").strip()[:300]
    address = (address or "").strip()
    masked_payment, card = (
        _mask_payment(payment.strip()) if payment and payment.strip() else ("", None)
    )
    entity = (not_customer_entity or "").strip()[:200]
    inputs: list[tip_actions.SelectorInput] = []
    if outcome == Subpoena.Outcome.RESPONSE_RECEIVED:
        if not any([subscriber_name, address, phones_l, emails_l, accounts_l, payment, lines]):
            raise ValidationError("A response needs at least one answered field or session line.")
        mark = {"from_subpoena": subpoena.reference}
        if subscriber_name:
            inputs.append(tip_actions.SelectorInput("person", subscriber_name, details=dict(mark)))
        if address:
            inputs.append(tip_actions.SelectorInput("address", address, details=dict(mark)))
        inputs += [tip_actions.SelectorInput("phone", p, details=dict(mark)) for p in phones_l]
        inputs += [tip_actions.SelectorInput("email", e, details=dict(mark)) for e in emails_l]
        inputs += [
            tip_actions.SelectorInput(
                "attribute", f"account at {subpoena.provider.name}: {a}", details=dict(mark)
            )
            for a in accounts_l
        ]
        if card:
            inputs.append(tip_actions.SelectorInput("card", card, details=dict(mark)))
        for line in lines:
            for found in sel.extract(line, region=tip.country or "US"):
                if found.type == "ip":
                    inputs.append(tip_actions.SelectorInput("ip", found.raw, details=dict(mark)))
        # Validate everything before changing anything.
        errors = []
        for item in inputs:
            try:
                tip_actions.build_selector(tip, item)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
    elif outcome == Subpoena.Outcome.NOT_OUR_CUSTOMER and entity:
        if entity.lower() == subpoena.provider.name.lower():
            raise ValidationError("The entity named is the provider this subpoena went to.")
    with transaction.atomic():
        now = timezone.now()
        subpoena.status = outcome
        subpoena.outcome = outcome
        subpoena.responded_at = now
        subpoena.response_by = actor
        subpoena.not_customer_entity = (
            entity if outcome == Subpoena.Outcome.NOT_OUR_CUSTOMER else ""
        )
        resp = SubpoenaResponse(
            subpoena=subpoena,
            subscriber_name=subscriber_name,
            address=address,
            phones=phones_l,
            emails=emails_l,
            account_ids=accounts_l,
            payment=masked_payment,
            sessions=lines,
            recorded_by=actor,
        )
        if outcome == Subpoena.Outcome.RESPONSE_RECEIVED:
            why = _contradiction(subpoena, subscriber_name)
            subpoena.contradiction = bool(why)
            subpoena.contradiction_note = why
            result["contradiction"] = why
            before_flags = _flag_total(tip)
            added = tip_actions.do_add_selectors(tip, inputs, actor=actor) if inputs else []
            result["selectors"] = len(added)
            result["flags"] = max(0, _flag_total(tip) - before_flags)
            resp.selectors_added = result["selectors"]
            resp.flags_raised = result["flags"]
            tip_actions.do_add_research_note(tip, _note_text(subpoena, resp, why), actor=actor)
        resp.save()
        subpoena.save()
        record(
            "subpoena.response",
            actor=actor,
            obj=subpoena,
            changes={
                "outcome": outcome,
                "selectors_added": result["selectors"],
                "flags": result["flags"],
                "contradiction": subpoena.contradiction,
                "entity": entity,
                "session_lines": len(lines),
            },
            summary=f"{subpoena.reference}: {subpoena.get_status_display()}",
        )
        if outcome == Subpoena.Outcome.NOT_OUR_CUSTOMER and entity:
            result["chained"] = _draft_chained(subpoena, entity, actor=actor)
    return result


def _flag_total(tip: Tip) -> int:
    try:
        from django.apps import apps

        Flag = apps.get_model("deconfliction", "Flag")
    except LookupError:
        return 0
    from django.db.models import Q

    return Flag.objects.filter(Q(tip_a=tip) | Q(tip_b=tip)).count()


def _note_text(subpoena: Subpoena, resp: SubpoenaResponse, why: str) -> str:
    parts = [f"Response to subpoena {subpoena.reference} from {subpoena.provider.name}:"]
    if resp.subscriber_name:
        parts.append(f"Subscriber: {resp.subscriber_name}")
    if resp.address:
        parts.append(f"Address: {resp.address}")
    if resp.phones:
        parts.append(f"Phone: {', '.join(resp.phones)}")
    if resp.emails:
        parts.append(f"E-mail: {', '.join(resp.emails)}")
    if resp.account_ids:
        parts.append(f"Accounts: {', '.join(resp.account_ids)}")
    if resp.payment:
        parts.append(f"Payment: {resp.payment}")
    if resp.sessions:
        parts.append(f"Session log ({len(resp.sessions)} lines):")
        parts += [f"  {line}" for line in resp.sessions[:200]]
        if len(resp.sessions) > 200:
            parts.append(f"  … {len(resp.sessions) - 200} more lines on the subpoena record")
    if why:
        parts.append(f"CONTRADICTION: {why}")
    return "\n".join(parts)


def _draft_chained(subpoena: Subpoena, entity: str, *, actor: Any) -> Subpoena:
    provider = Provider.objects.filter(name__iexact=entity).first()
    if provider is None:
        provider = Provider.objects.create(
            name=entity,
            notes=(
                f'Added from the "not our customer" answer to {subpoena.reference}; '
                "a manager should complete the legal-process contact."
            ),
        )
        record(
            "lookups.provider_create",
            actor=actor,
            obj=provider,
            changes={"name": entity, "from": subpoena.reference},
            summary=f"provider {entity} (named by {subpoena.provider.name})",
        )
    elif not provider.active:
        raise ValidationError(f"{provider.name} is marked inactive in the provider directory.")
    return do_draft_subpoena(
        subpoena.tip,
        actor=actor,
        provider=provider,
        selector_ids=[i.selector_id for i in subpoena.identifiers.all() if i.selector_id],
        categories=subpoena.categories,
        time_zone=subpoena.time_zone,
        parent=subpoena,
    )


def do_close_subpoena(subpoena: Subpoena, *, actor: Any) -> Subpoena:
    _require_write(actor, subpoena)
    _require_status(subpoena, *RESPONSE_STATES)
    with transaction.atomic():
        subpoena.status = S.CLOSED
        subpoena.closed_by = actor
        subpoena.closed_at = timezone.now()
        subpoena.save(update_fields=["status", "closed_by", "closed_at"])
        record("subpoena.close", actor=actor, obj=subpoena, summary=subpoena.reference)
    return subpoena


def do_mark_contradiction(subpoena: Subpoena, note: str, *, actor: Any) -> Subpoena:
    """An analyst marks (or, with an empty note, clears) a contradiction by hand."""
    _require_write(actor, subpoena)
    note = (note or "").strip()[:2000]
    with transaction.atomic():
        subpoena.contradiction = bool(note)
        subpoena.contradiction_note = note
        subpoena.save(update_fields=["contradiction", "contradiction_note"])
        record(
            "subpoena.contradiction",
            actor=actor,
            obj=subpoena,
            changes={"contradiction": bool(note), "note": note},
            summary=subpoena.reference,
        )
    return subpoena


# --- the response document --------------------------------------------------------------------


def do_attach_response_document(subpoena: Subpoena, upload: Any, *, actor: Any) -> Subpoena:
    from vigil.victimid import storage

    _require_write(actor, subpoena)
    _require_status(subpoena, *RESPONSE_STATES, S.SERVED, S.CLOSED)
    data = upload.read(MAX_RESPONSE_FILE + 1)
    if len(data) > MAX_RESPONSE_FILE:
        raise ValidationError(
            f"The document is larger than {MAX_RESPONSE_FILE // (1024 * 1024)} MB."
        )
    if not data:
        raise ValidationError("The document is empty.")
    rel, key = storage.seal(data)
    old = subpoena.response_file_path
    try:
        with transaction.atomic():
            subpoena.response_file_name = (getattr(upload, "name", "") or "response")[:255]
            subpoena.response_file_path = rel
            subpoena.response_file_key = key
            subpoena.response_file_size = len(data)
            subpoena.response_file_sha256 = hashlib.sha256(data).hexdigest()
            subpoena.save()
            record(
                "subpoena.response_document",
                actor=actor,
                obj=subpoena,
                changes={
                    "name": subpoena.response_file_name,
                    "size": len(data),
                    "sha256": subpoena.response_file_sha256,
                },
                summary=f"response document for {subpoena.reference} (sealed)",
            )
    except Exception:
        storage.delete(rel)
        raise
    if old:
        transaction.on_commit(lambda: storage.delete(old))
    return subpoena


def open_response_document(subpoena: Subpoena, *, actor: Any) -> bytes:
    from vigil.victimid import storage

    if not subpoena.response_file_path:
        raise ValidationError("No response document is attached.")
    data = storage.read(subpoena.response_file_path, bytes(subpoena.response_file_key))
    record(
        "subpoena.response_document_open",
        actor=actor,
        obj=subpoena,
        changes={"sha256": subpoena.response_file_sha256},
        summary=subpoena.reference,
    )
    return data


# --- documents and template -------------------------------------------------------------------


def render_subpoena(subpoena: Subpoena, *, actor: Any) -> bytes:
    """The PDF, rendered now and never stored. Every render is audited."""
    _require_write(actor, subpoena)
    pdf = document.render_pdf(document.context_for(subpoena))
    record(
        "subpoena.render",
        actor=actor,
        obj=subpoena,
        changes={"status": subpoena.status, "sha256": hashlib.sha256(pdf).hexdigest()},
        summary=f"{subpoena.reference} rendered ({len(pdf):,} bytes)",
    )
    return pdf


def do_update_template(
    *, actor: Any, body: str, issuing_office: str, return_instructions: str
) -> SubpoenaTemplate:
    if not access.is_manager(actor):
        raise PermissionDenied("Only a manager edits the subpoena template.")
    body = (body or "").strip()
    if not body:
        raise ValidationError("The template cannot be empty.")
    try:
        document.compile_body(body)
    except document.TemplateError as exc:
        raise ValidationError(str(exc)) from None
    if not (issuing_office or "").strip():
        raise ValidationError("Name the issuing office.")
    if not (return_instructions or "").strip():
        raise ValidationError("Give the return instructions.")
    with transaction.atomic():
        before = document.current_template()
        tpl = SubpoenaTemplate.objects.create(
            body=body,
            issuing_office=issuing_office.strip(),
            return_instructions=return_instructions.strip(),
            updated_by=actor,
        )
        record(
            "subpoena.template_update",
            actor=actor,
            obj=tpl,
            changes={
                "body_sha256": hashlib.sha256(body.encode()).hexdigest(),
                "body_changed": before.body != body,
                "issuing_office": issuing_office.strip(),
                "return_instructions": return_instructions.strip(),
            },
            summary="subpoena template updated",
        )
    return tpl


def preview_template(*, actor: Any, body: str | None = None) -> bytes:
    if not access.is_manager(actor):
        raise PermissionDenied("Only a manager previews the subpoena template.")
    try:
        pdf = document.render_pdf(document.sample_context(), body)
    except document.TemplateError as exc:
        raise ValidationError(str(exc)) from None
    record("subpoena.template_preview", actor=actor, object_type="subpoenas.subpoenatemplate")
    return pdf
