"""Responses: parse a provider's answer, record it on the tip (selectors, a research note),
chain a new subpoena, close, contradictions."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.audit.log import record
from vigil.lib import crypto
from vigil.lib import selectors as sel
from vigil.lib.names import normalise_name
from vigil.lookups.models import Provider
from vigil.subpoenas.actions.common import (
    _SPLIT,
    MAX_LINES,
    MAX_RESPONSE_CSV,
    RESPONSE_STATES,
    S,
    _require_status,
    _require_write,
)
from vigil.subpoenas.actions.drafting import do_draft_subpoena
from vigil.subpoenas.models import Subpoena, SubpoenaResponse
from vigil.tips import actions as tip_actions
from vigil.tips.models import Selector, Tip


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
    (one value per cell, several rows allowed). Larger than MAX_RESPONSE_CSV: refused whole."""
    if len(data) > MAX_RESPONSE_CSV:
        raise ValidationError(
            f"The response CSV is larger than {MAX_RESPONSE_CSV // (1024 * 1024)} MB."
        )
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
