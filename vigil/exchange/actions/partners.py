"""Partners: create, update, approve/suspend/retire, API tokens, sync credentials; look-ups by
name and token."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.audit.models import Outcome
from vigil.exchange import keys, rules
from vigil.exchange.actions.common import _require, _user, _who
from vigil.exchange.models import Partner, PartnerToken, hash_token
from vigil.lib import countries, crypto


def _clean_partner(partner: Partner) -> None:
    partner.name = (partner.name or "").strip()
    partner.country = (partner.country or "").strip().upper()
    if partner.country and not countries.is_country(partner.country):
        raise ValidationError(
            {"country": f"{partner.country[:20]!r} is not an ISO 3166 country code"}
        )
    partner.signing_key = keys.normalise_signing_key(partner.signing_key)
    partner.age_recipient = keys.normalise_age_recipient(partner.age_recipient)
    partner.full_clean()


def do_create_partner(*, actor, data: dict[str, Any]) -> Partner:
    _require(actor, rules.can_manage_partners)
    unknown = set(data) - set(Partner.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown partner field(s): {', '.join(sorted(unknown))}.")
    partner = Partner(created_by=_user(actor), **data)
    _clean_partner(partner)
    with transaction.atomic():
        partner.save()
        record(
            "partner.create",
            **_who(actor),
            obj=partner,
            changes=diff({}, snapshot(partner, Partner.EDITABLE_FIELDS)),
            summary=f"{partner.name} ({partner.organisation}), proposed",
        )
    return partner


def do_update_partner(partner: Partner, *, actor, data: dict[str, Any]) -> Partner:
    _require(actor, rules.can_manage_partners)
    unknown = set(data) - set(Partner.EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown partner field(s): {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        before = snapshot(partner, Partner.EDITABLE_FIELDS)
        for key, value in data.items():
            setattr(partner, key, value)
        _clean_partner(partner)
        changes = diff(before, snapshot(partner, Partner.EDITABLE_FIELDS))
        if changes:
            partner.save()
            record(
                "partner.update", **_who(actor), obj=partner, changes=changes, summary=partner.name
            )
    return partner


_TRANSITIONS = {
    "approve": ({Partner.Status.PROPOSED, Partner.Status.SUSPENDED}, Partner.Status.APPROVED),
    "suspend": ({Partner.Status.APPROVED, Partner.Status.PROPOSED}, Partner.Status.SUSPENDED),
}


def do_set_partner_status(partner: Partner, *, actor, verb: str, reason: str = "") -> Partner:
    """Approve (a Manager validated the partner) or suspend (nothing leaves for it)."""
    _require(actor, rules.can_manage_partners)
    if verb not in _TRANSITIONS:
        raise ValidationError(f"Unknown partner action {verb!r}.")
    allowed, target = _TRANSITIONS[verb]
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if partner.status not in allowed:
            raise ValidationError(
                f"A partner that is {partner.get_status_display().lower()} cannot be {verb}d."
            )
        if target == Partner.Status.APPROVED and not (
            partner.signing_key and partner.age_recipient
        ):
            raise ValidationError(
                "Register the partner's signing key and encryption key before approving it."
            )
        before = partner.status
        partner.status = target
        if target == Partner.Status.APPROVED:
            partner.approved_by, partner.approved_at = _user(actor), timezone.now()
        partner.save()
        record(
            f"partner.{verb}",
            **_who(actor),
            obj=partner,
            changes={"status": {"before": before, "after": target}},
            summary=f"{partner.name}: {reason}"[:300] if reason else partner.name,
        )
    return partner


def do_issue_token(
    partner: Partner, *, actor, label: str = "", days: int = 90
) -> tuple[PartnerToken, str]:
    """A new API token for `partner`'s instance. The secret is returned once, never stored.

    Issued by a Manager's account: what the partner pulls with it is disclosed in that name."""
    if _user(actor) is None:
        raise ValidationError("A token is issued by a Manager's account.")
    _require(actor, rules.can_manage_partners)
    if not 1 <= int(days) <= 366:
        raise ValidationError("A token lasts between 1 and 366 days.")
    key_id, secret = PartnerToken.new_secret()
    with transaction.atomic():
        token = PartnerToken.objects.create(
            partner=partner,
            label=label.strip()[:100],
            key_id=key_id,
            token_hash=hash_token(secret),
            expires_at=timezone.now() + dt.timedelta(days=int(days)),
            created_by=_user(actor),
        )
        record(
            "partner.token_issue",
            **_who(actor),
            obj=partner,
            summary=f"token {key_id} for {partner.name}, {days} days",
            changes={"token": {"before": None, "after": key_id}},
        )
    return token, secret


def do_revoke_token(token: PartnerToken, *, actor) -> PartnerToken:
    _require(actor, rules.can_manage_partners)
    with transaction.atomic():
        token = PartnerToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(
                "partner.token_revoke",
                **_who(actor),
                obj=token.partner,
                summary=f"token {token.key_id} of {token.partner.name} revoked",
            )
    return token


def do_set_sync_credentials(partner: Partner, *, actor, url: str, token: str) -> Partner:
    """Where the partner's instance answers and the token it issued us (kept encrypted)."""
    _require(actor, rules.can_manage_partners)
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        before = partner.sync_url
        partner.sync_url = url.strip()
        partner.full_clean()
        partner.sync_token_encrypted = (
            crypto.encrypt_field(token.strip()) if token.strip() else None
        )
        partner.save()
        record(
            "partner.sync_credentials",
            **_who(actor),
            obj=partner,
            changes={
                "sync_url": {"before": before, "after": partner.sync_url},
                "token": {"before": "", "after": "x"},
            },
            summary=partner.name,
        )
    return partner


def authenticate_token(raw: str) -> PartnerToken | None:
    """The usable token a request presents, or None. Constant-time on the secret."""
    import hmac

    parts = (raw or "").split("_")
    if len(parts) < 3 or parts[0] != "vgx":
        return None
    token = PartnerToken.objects.usable().select_related("partner").filter(key_id=parts[1]).first()
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(raw)):
        return None
    PartnerToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def do_record_api_refusal(
    *, status: int, reason: str, endpoint: str, partner: Partner | None = None
) -> None:
    """A call to the partner API refused (401 token, 403 partner not approved, 400 bad
    cursor, limit or batch): audited `exchange.api_refused`, outcome denied or failed."""
    record(
        "exchange.api_refused",
        actor_username=f"partner:{partner.name}" if partner else "partner:unknown",
        obj=partner,
        object_type="" if partner else "url",
        object_id="" if partner else endpoint[:64],
        outcome=Outcome.FAILED if status == 400 else Outcome.DENIED,
        summary=f"{endpoint} refused ({status}): {reason}"[:300],
        changes={"status": status, "endpoint": endpoint},
    )


def token_for_view(partner: Partner, pk: Any) -> PartnerToken:
    try:
        return partner.tokens.get(pk=int(pk))
    except (ValueError, TypeError, PartnerToken.DoesNotExist):
        from django.http import Http404

        raise Http404 from None


def partner_by_name(name: str) -> Partner:
    try:
        return Partner.objects.get(name=name)
    except Partner.DoesNotExist:
        known = ", ".join(Partner.objects.values_list("name", flat=True)[:20]) or "none yet"
        raise ValidationError(f"No partner named {name!r} (known: {known}).") from None


def may_read(user) -> None:
    access.require(rules.can_read(user))
