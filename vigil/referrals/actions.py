"""Every change in the referrals app: directory, referrals, follow-ups, shares, disclosures.

Each `do_*` checks permission, changes, audits and sends its follow-ups in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.core.signals import disclosed
from vigil.referrals.models import (
    Area,
    DisclosedItem,
    Disclosure,
    FollowUp,
    Office,
    Referral,
    ReferralTip,
)
from vigil.referrals.places import parse_area
from vigil.tips.models import Tip

# --- the accounting of disclosures -------------------------------------------------------

MAX_RECORDS = 100_000


def _office_for(recipient: str) -> Office | None:
    name = (recipient or "").strip()
    return (
        Office.objects.filter(name__iexact=name).first()
        or Office.objects.filter(code__iexact=name).first()
    )


def do_record_disclosure(
    *,
    records: Iterable[tuple[str, Any]],
    recipient: str,
    purpose: str,
    method: str,
    actor: Any,
    source: Any = None,
    office: Office | None = None,
    at: dt.datetime | None = None,
) -> Disclosure:
    """One accounting row: what (records by id), to whom, when, why, by whom, how.

    Fails closed: bad input raises, and the sender's transaction (the disclosure
    itself) fails with it.
    """
    pairs: list[list[Any]] = []
    for item in records or ():
        try:
            kind, rid = item
        except (TypeError, ValueError):
            raise ValidationError(
                f"A disclosed record is a (kind, id) pair, not {item!r}."
            ) from None
        kind = str(kind).strip()
        if not kind or rid in (None, ""):
            raise ValidationError(f"A disclosed record needs a kind and an id, not {item!r}.")
        pairs.append([kind[:32], rid if isinstance(rid, int) else str(rid)[:64]])
    if not pairs:
        raise ValidationError("A disclosure must name the records it disclosed.")
    if len(pairs) > MAX_RECORDS:
        raise ValidationError(f"{len(pairs):,} records in one disclosure (limit {MAX_RECORDS:,}).")
    recipient = (recipient or "").strip()
    purpose = (purpose or "").strip()
    method = (method or "").strip()
    for label, value in (("recipient", recipient), ("purpose", purpose), ("method", method)):
        if not value:
            raise ValidationError(f"A disclosure must say its {label}.")
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise ValidationError("A disclosure must say who made it.")
    office = office or _office_for(recipient)
    with transaction.atomic():
        disclosure = Disclosure(
            disclosed_at=at or timezone.now(),
            recipient=recipient[:200],
            office=office,
            purpose=purpose[:500],
            method=method[:100],
            actor=actor,
            actor_username=actor.get_username(),
            records=pairs,
            source_type=(
                f"{source._meta.app_label}.{source._meta.model_name}" if source is not None else ""
            ),
            source_id=str(getattr(source, "pk", "") or ""),
        )
        disclosure.save()
        DisclosedItem.objects.bulk_create(
            [DisclosedItem(disclosure=disclosure, kind=k, record_id=str(r)) for k, r in pairs],
            batch_size=1000,
        )
        record(
            "disclosure.record",
            actor=actor,
            obj=disclosure,
            summary=f"{len(pairs)} record(s) to {recipient[:120]} by {method[:60]}",
            changes={"purpose": purpose[:200], "source": disclosure.source_type},
        )
    return disclosure


def on_disclosed(sender: Any, **kwargs: Any) -> Disclosure:
    """Receiver of `vigil.core.signals.disclosed`: any app's disclosure is accounted for here."""
    return do_record_disclosure(
        records=kwargs.get("records") or [],
        recipient=kwargs.get("recipient", ""),
        purpose=kwargs.get("purpose", ""),
        method=kwargs.get("method", ""),
        actor=kwargs.get("actor"),
        source=kwargs.get("source"),
        office=kwargs.get("office"),
    )


def do_view_disclosures(*, actor: Any, what: str, export: bool = False) -> None:
    """Reading the accounting is audited (it says who got which records)."""
    access.require(access.can_read_data(actor))
    record("disclosure.export" if export else "disclosure.view", actor=actor, summary=what[:300])


# --- directory ----------------------------------------------------------------------------

OFFICE_FIELDS = [
    "code",
    "name",
    "kind",
    "contact_name",
    "contact_email",
    "contact_phone",
    "address",
    "age_recipient",
    "notes",
    "active",
]


def _require_directory(actor: Any) -> None:
    access.require(access.is_manager(actor))


def validate_age_recipient(key: str) -> str:
    key = (key or "").strip()
    if not key:
        return ""
    import pyrage

    try:
        pyrage.x25519.Recipient.from_str(key)
    except Exception:
        raise ValidationError(
            {"age_recipient": "Not an age public key (it starts with age1…)."}
        ) from None
    return key


def _clean_office(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for name in ("code", "name", "contact_name", "contact_email", "contact_phone"):
        if name in out:
            out[name] = (out[name] or "").strip()
    if "code" in out:
        from django.utils.text import slugify

        code = out["code"]
        if not code or slugify(code) != code.lower():
            raise ValidationError({"code": "A code of letters, digits, - and _ is required."})
        out["code"] = code.lower()
    if "name" in out and not out["name"]:
        raise ValidationError({"name": "A name is required."})
    if "kind" in out and out["kind"] not in Office.Kind.values:
        raise ValidationError({"kind": "Choose a kind from the list."})
    if "age_recipient" in out:
        out["age_recipient"] = validate_age_recipient(out["age_recipient"])
    if out.get("contact_email"):
        from django.core.validators import validate_email

        try:
            validate_email(out["contact_email"])
        except ValidationError:
            raise ValidationError({"contact_email": "Not an e-mail address."}) from None
    return out


def parse_areas(text: str) -> list[tuple[str, str, str]]:
    """`US-NJ; US-NY:Kings; DE` → [(country, state, county)…]; ValueError names the bad one."""
    out = []
    for part in (text or "").replace("\n", ";").split(";"):
        if part.strip():
            p = parse_area(part)
            out.append((p.country, p.state, p.county))
    return list(dict.fromkeys(out))


def _set_areas(office: Office, areas: list[tuple[str, str, str]]) -> None:
    office.areas.all().delete()
    Area.objects.bulk_create(
        [Area(office=office, country=c, state=s, county=k) for c, s, k in areas]
    )


def do_save_office(
    office: Office | None, *, actor: Any, areas: str | None = None, **fields: Any
) -> Office:
    """Create (office=None) or change a directory entry and, when given, its areas."""
    _require_directory(actor)
    unknown = set(fields) - set(OFFICE_FIELDS)
    if unknown:
        raise ValueError(f"not office fields: {sorted(unknown)}")
    fields = _clean_office(fields)
    parsed = None
    if areas is not None:
        try:
            parsed = parse_areas(areas)
        except ValueError as exc:
            raise ValidationError({"areas": str(exc)}) from None
    with transaction.atomic():
        creating = office is None
        if creating:
            if Office.objects.filter(code=fields.get("code", "")).exists():
                raise ValidationError({"code": f"The code {fields['code']!r} is taken."})
            office = Office(**fields)
            before: dict[str, Any] = {}
            before_areas = ""
        else:
            office = Office.objects.select_for_update().get(pk=office.pk)
            if (
                "code" in fields
                and Office.objects.filter(code=fields["code"]).exclude(pk=office.pk).exists()
            ):
                raise ValidationError({"code": f"The code {fields['code']!r} is taken."})
            before = snapshot(office, OFFICE_FIELDS)
            before_areas = office.area_codes
            for name, value in fields.items():
                setattr(office, name, value)
        office.save()
        if parsed is not None:
            _set_areas(office, parsed)
        changes = diff(before, snapshot(office, OFFICE_FIELDS))
        after_areas = office.area_codes
        if after_areas != before_areas:
            changes["areas"] = {"before": before_areas, "after": after_areas}
        record(
            "directory.create" if creating else "directory.update",
            actor=actor,
            obj=office,
            changes=changes,
            summary=f"{office.name} ({office.get_kind_display()})",
        )
    return office


# --- referrals ----------------------------------------------------------------------------


def _require_tip_write(tip: Tip, actor: Any) -> None:
    if not Tip.objects.for_user(actor, access.WRITE).filter(pk=tip.pk).exists():
        if Tip.objects.for_user(actor, access.READ).filter(pk=tip.pk).exists():
            raise PermissionDenied(
                "Only the assigned investigator or a manager may refer this tip."
            )
        raise PermissionDenied


def _require_referral_write(referral: Referral, actor: Any) -> None:
    if not Referral.objects.for_user(actor, access.WRITE).filter(pk=referral.pk).exists():
        raise PermissionDenied("Only the tip's investigator or a manager may change this referral.")


def cluster_ids(tip: Tip) -> set[int]:
    from vigil.deconfliction.queries import cluster_tip_ids

    return cluster_tip_ids(tip.pk)


def earlier_referrals(tip: Tip, ids: set[int] | None = None) -> list[Referral]:
    """Active referrals holding any tip of `tip`'s cluster (the "same office" rule)."""
    ids = ids if ids is not None else cluster_ids(tip)
    return list(
        Referral.objects.active()
        .filter(members__tip_id__in=ids)
        .select_related("office", "tip__source")
        .distinct()
        .order_by("sent_at", "id")
    )


def proposal_for(tip: Tip) -> Referral | None:
    """The earlier referral a tip should follow: its cluster went there, the tip did not."""
    for referral in earlier_referrals(tip):
        if not referral.members.filter(tip_id=tip.pk).exists():
            return referral
    return None


def _parse_date(value: Any, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({label: "Write the date as YYYY-MM-DD."}) from None


def do_create_referral(
    tip: Tip,
    *,
    actor: Any,
    office: Office,
    scope: str = Referral.Scope.TIP,
    note: str = "",
    receiving_case_number: str = "",
    acknowledge_by: Any = None,
    elsewhere_reason: str = "",
) -> Referral:
    """Draft a referral of a tip (or its cluster). Related tips referred elsewhere need a reason."""
    _require_tip_write(tip, actor)
    if scope not in Referral.Scope.values:
        raise ValidationError({"scope": "Refer this tip or its whole cluster."})
    if office is None or not office.active:
        raise ValidationError({"office": "Choose an active office or agency."})
    ack = _parse_date(acknowledge_by, "acknowledge_by")
    elsewhere_reason = (elsewhere_reason or "").strip()
    with transaction.atomic():
        ids = cluster_ids(tip)
        members = sorted(ids) if scope == Referral.Scope.CLUSTER else [tip.pk]
        elsewhere = [r for r in earlier_referrals(tip, ids) if r.office_id != office.pk]
        if elsewhere and not elsewhere_reason:
            where = ", ".join(sorted({str(r.office) for r in elsewhere}))
            raise ValidationError(
                {
                    "elsewhere_reason": f"Related tips in this cluster went to {where}: "
                    f"say why this referral goes to {office} instead."
                }
            )
        referral = Referral.objects.create(
            tip=tip,
            scope=scope,
            office=office,
            note=(note or "").strip(),
            receiving_case_number=(receiving_case_number or "").strip()[:100],
            acknowledge_by=ack,
            elsewhere_reason=elsewhere_reason if elsewhere else "",
            created_by=actor,
        )
        ReferralTip.objects.bulk_create([ReferralTip(referral=referral, tip_id=t) for t in members])
        record(
            "referral.create",
            actor=actor,
            obj=referral,
            summary=f"{len(members)} tip(s) to {office.name}",
            changes={
                "tips": members,
                "scope": scope,
                "office": office.code,
                "elsewhere_reason": referral.elsewhere_reason,
            },
        )
    return referral


EDITABLE = ["note", "receiving_case_number", "acknowledge_by"]


def do_update_referral(referral: Referral, *, actor: Any, **fields: Any) -> Referral:
    """Note, receiving case number (often added later) and the acknowledgement due date."""
    _require_referral_write(referral, actor)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "acknowledge_by" in fields:
        fields["acknowledge_by"] = _parse_date(fields["acknowledge_by"], "acknowledge_by")
    for name in ("note", "receiving_case_number"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if len(fields.get("receiving_case_number", "")) > 100:
        raise ValidationError({"receiving_case_number": "At most 100 characters."})
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        before = snapshot(referral, EDITABLE)
        for name, value in fields.items():
            setattr(referral, name, value)
        referral.save(update_fields=[*fields, "updated_at"])
        changes = diff(before, snapshot(referral, EDITABLE))
        if changes:
            record("referral.update", actor=actor, obj=referral, changes=changes)
    return referral


_NEXT = {
    "send": ({Referral.Status.DRAFTED}, Referral.Status.SENT),
    "acknowledge": ({Referral.Status.SENT}, Referral.Status.ACKNOWLEDGED),
    "open_case": (
        {Referral.Status.SENT, Referral.Status.ACKNOWLEDGED},
        Referral.Status.CASE_OPENED,
    ),
    "decline": ({Referral.Status.SENT, Referral.Status.ACKNOWLEDGED}, Referral.Status.DECLINED),
}


def _transition(referral: Referral, step: str, *, actor: Any) -> tuple[Referral, str]:
    _require_referral_write(referral, actor)
    allowed, target = _NEXT[step]
    referral = Referral.objects.select_for_update().select_related("office").get(pk=referral.pk)
    if referral.status not in allowed:
        raise ValidationError(
            f"A {referral.get_status_display().lower()} referral cannot be "
            f"{Referral.Status(target).label.lower()}."
        )
    before = referral.status
    referral.status = target
    return referral, before


def referral_records(referral: Referral) -> list[tuple[str, int]]:
    tips = list(referral.members.values_list("tip_id", flat=True).order_by("tip_id"))
    return [("referral", referral.pk), *(("tip", t) for t in tips)]


def do_send_referral(referral: Referral, *, actor: Any, method: str = "") -> Referral:
    """Sent: the tips left the unit. One disclosure record; the acknowledgement clock starts."""
    method = (method or "").strip() or "investigative referral"
    with transaction.atomic():
        referral, before = _transition(referral, "send", actor=actor)
        now = timezone.now()
        referral.sent_at = now
        referral.sent_by = actor
        referral.send_method = method[:100]
        if referral.acknowledge_by is None:
            referral.acknowledge_by = timezone.localdate() + dt.timedelta(
                days=settings.REFERRAL_ACKNOWLEDGE_DAYS
            )
        referral.save()
        record(
            "referral.send",
            actor=actor,
            obj=referral,
            changes={"status": {"before": before, "after": referral.status}},
            summary=f"to {referral.office.name} by {method[:80]}",
        )
        disclosed.send(
            sender=Referral,
            records=referral_records(referral),
            recipient=referral.office.name,
            purpose="Investigative referral"
            + (f": {referral.note[:200]}" if referral.note else ""),
            method=f"Referral ({method})"[:100],
            actor=actor,
            source=referral,
            office=referral.office,
        )
    return referral


def do_acknowledge_referral(referral: Referral, *, actor: Any) -> Referral:
    with transaction.atomic():
        referral, before = _transition(referral, "acknowledge", actor=actor)
        referral.acknowledged_at = timezone.now()
        referral.save()
        record(
            "referral.acknowledge",
            actor=actor,
            obj=referral,
            changes={"status": {"before": before, "after": referral.status}},
        )
    return referral


def do_open_case(referral: Referral, *, actor: Any, case_number: str) -> Referral:
    """The receiving office opened a case: its number is recorded (required)."""
    case_number = (case_number or "").strip()
    if not case_number:
        raise ValidationError({"case_number": "Record the receiving office's case number."})
    if len(case_number) > 100:
        raise ValidationError({"case_number": "At most 100 characters."})
    with transaction.atomic():
        referral, before = _transition(referral, "open_case", actor=actor)
        referral.receiving_case_number = case_number
        referral.closed_at = timezone.now()
        referral.acknowledged_at = referral.acknowledged_at or referral.closed_at
        referral.save()
        record(
            "referral.case_opened",
            actor=actor,
            obj=referral,
            changes={
                "status": {"before": before, "after": referral.status},
                "receiving_case_number": case_number,
            },
            summary=f"case {case_number} at {referral.office.name}",
        )
    return referral


def do_decline_referral(referral: Referral, *, actor: Any, reason: str) -> Referral:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Record why the office declined."})
    with transaction.atomic():
        referral, before = _transition(referral, "decline", actor=actor)
        referral.decline_reason = reason
        referral.closed_at = timezone.now()
        referral.save()
        record(
            "referral.decline",
            actor=actor,
            obj=referral,
            changes={"status": {"before": before, "after": referral.status}, "reason": reason},
        )
    return referral


def do_delete_referral(referral: Referral, *, actor: Any) -> None:
    """A Manager removes a draft that never went out; a sent referral stays on record."""
    access.require(access.can_delete(actor))
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status != Referral.Status.DRAFTED:
            raise ValidationError("Only a drafted referral can be deleted; this one went out.")
        office = referral.office.name
        record("referral.delete", actor=actor, obj=referral, summary=f"draft to {office}")
        referral.delete()
    return None


def do_record_follow_up(
    referral: Referral, *, actor: Any, request: str, received_at: dt.datetime | None = None
) -> FollowUp:
    """The receiving office asked for more: recorded, and the assigned analyst is notified."""
    from vigil.messaging.actions import do_notify

    _require_referral_write(referral, actor)
    request = (request or "").strip()
    if not request:
        raise ValidationError({"request": "Say what the office asked for."})
    if referral.status in (Referral.Status.DRAFTED, Referral.Status.DECLINED):
        raise ValidationError("Follow-ups are recorded on referrals that went out.")
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            referral=referral,
            request=request,
            received_at=received_at or timezone.now(),
            recorded_by=actor,
        )
        record(
            "referral.follow_up",
            actor=actor,
            obj=referral,
            summary=f"follow-up request from {referral.office.name}",
            changes={"follow_up": follow_up.pk},
        )
        analyst = referral.analyst
        if analyst is not None and analyst.is_active:
            do_notify(
                analyst,
                subject=f"{referral.office.name} asks for more on referral #{referral.pk}",
                body=request[:2000],
                link=reverse("referrals-detail", args=[referral.pk]),
                dedupe_key=f"referrals.follow_up:{follow_up.pk}",
            )
    return follow_up


def do_answer_follow_up(follow_up: FollowUp, *, actor: Any, answer: str) -> FollowUp:
    _require_referral_write(follow_up.referral, actor)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "Say what was sent in answer."})
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.answered_at is not None:
            raise ValidationError("This follow-up was answered already.")
        follow_up.answer = answer
        follow_up.answered_at = timezone.now()
        follow_up.answered_by = actor
        follow_up.save()
        record(
            "referral.follow_up_answer",
            actor=actor,
            obj=follow_up.referral,
            changes={"follow_up": follow_up.pk},
        )
    return follow_up


def do_view_packet(referral: Referral, *, actor: Any, fmt: str) -> None:
    access.require(access.can_read_data(actor))
    record("referral.packet", actor=actor, obj=referral, summary=f"packet ({fmt})")


def referred_tips(tip_ids: Iterable[int]) -> list[tuple[Tip, Any, str]]:
    """The deconfliction hook: referred tips among `tip_ids`, one row per active referral.

    The office label carries the receiving case number so the notification and the
    suggestion name both: the new tip goes to the same office, under the same case.
    """
    ids = list(tip_ids)
    out = []
    rows = (
        Referral.objects.active()
        .filter(members__tip_id__in=ids)
        .select_related("tip__assigned_to", "tip__source", "office")
        .distinct()
    )
    for r in rows:
        label = r.office.name + (
            f" (case {r.receiving_case_number})" if r.receiving_case_number else ""
        )
        out.append((r.tip, r.tip.assigned_to, label))
    return out


# --- sharing with outside agencies --------------------------------------------------------


def _share_contents(kind: str, *, tip: Tip | None, referral: Referral | None, actor: Any):
    """(files, records disclosed, file stem) for one package."""
    from vigil.referrals import packages, packet
    from vigil.referrals.models import SharePackage
    from vigil.tips.models import Selector

    if kind == SharePackage.Kind.PACKET:
        if referral is None:
            raise ValidationError("Choose the referral whose packet to share.")
        ctx = packet.context_for_referral(referral, actor=actor)
        stem = f"referral-{referral.pk}"
        files = {
            f"{stem}.pdf": packet.render_pdf(ctx),
            f"{stem}.json": packages.as_json(packet.build_json(ctx)),
        }
        extra, missing = packet.attachments(ctx)
        files.update(extra)
        if missing:
            files["NOT-INCLUDED.txt"] = (
                "Left out (no right to open them):\n" + "\n".join(missing) + "\n"
            ).encode()
        return files, referral_records(referral), stem
    if tip is None:
        raise ValidationError("Choose the tip to share.")
    if kind == SharePackage.Kind.TIP:
        ctx = packet.context_for_tips([tip.pk], actor=actor)
        stem = f"tip-{tip.pk}"
        return {f"{stem}.json": packages.as_json(packet.build_json(ctx))}, [("tip", tip.pk)], stem
    if kind == SharePackage.Kind.CLUSTER:
        ids = sorted(cluster_ids(tip))
        ctx = packet.context_for_tips(ids, actor=actor)
        stem = f"cluster-of-tip-{tip.pk}"
        return (
            {f"{stem}.json": packages.as_json(packet.build_json(ctx))},
            [("tip", t) for t in ids],
            stem,
        )
    if kind == SharePackage.Kind.IP_LIST:
        ips = list(
            Selector.objects.filter(tip=tip, type=Selector.Type.IP)
            .select_related("tip__source")
            .order_by("value")
        )
        if not ips:
            raise ValidationError("This tip has no IP addresses to share.")
        stem = f"ip-list-tip-{tip.pk}"
        records = [("tip", tip.pk), *(("selector", s.pk) for s in ips)]
        return {f"{stem}.csv": packages.ip_list_csv(ips)}, records, stem
    raise ValidationError({"kind": "Choose what to share."})


def do_create_share(
    *,
    actor: Any,
    office: Office,
    kind: str,
    method: str,
    purpose: str,
    tip: Tip | None = None,
    referral: Referral | None = None,
) -> tuple[Any, str | None]:
    """Make an encrypted package for an outside agency; returns (package, password or None).

    Only users a Manager granted "may share". The password (ZIP) is returned once
    and never stored. The package is one disclosure in the accounting.
    """
    import uuid

    from vigil.referrals import packages
    from vigil.referrals.models import SharePackage

    if not access.can_share(actor):
        raise PermissionDenied("Only users a Manager granted “may share” can share.")
    if kind not in SharePackage.Kind.values:
        raise ValidationError({"kind": "Choose what to share."})
    if method not in SharePackage.Method.values:
        raise ValidationError({"method": "Choose how to encrypt the package."})
    if office is None or not office.active:
        raise ValidationError({"office": "Choose an active agency."})
    if not office.is_outside:
        raise ValidationError(
            {"office": f"{office} is one of our offices: refer to it instead of sharing."}
        )
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError({"purpose": "Say why it is shared (the accounting records it)."})
    if method == SharePackage.Method.AGE and not office.age_recipient:
        raise ValidationError(
            {"method": f"{office} has no age public key in the directory: use a ZIP password."}
        )
    if kind == SharePackage.Kind.PACKET:
        if referral is None:
            raise ValidationError("Choose the referral whose packet to share.")
        _require_referral_write(referral, actor)
        tip = referral.tip
    elif tip is not None:
        _require_tip_write(tip, actor)
    files, records, stem = _share_contents(kind, tip=tip, referral=referral, actor=actor)
    password = None
    if method == SharePackage.Method.ZIP:
        password = packages.new_password()
        data = packages.seal_zip(files, password)
        file_name = f"{stem}.zip"
    else:
        data = packages.seal_age(files, office.age_recipient)
        file_name = f"{stem}.zip.age"
    folder = settings.SHARE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.bin"
    path = folder / stored
    path.write_bytes(data)
    try:
        with transaction.atomic():
            package = SharePackage.objects.create(
                office=office,
                kind=kind,
                method=method,
                tip=tip,
                referral=referral,
                records=[list(r) for r in records],
                purpose=purpose[:500],
                file_name=file_name,
                path=stored,
                sha256=packages.sha256(data),
                size=len(data),
                age_recipient=office.age_recipient if method == SharePackage.Method.AGE else "",
                created_by=actor,
                expires_at=timezone.now() + dt.timedelta(hours=settings.SHARE_PACKAGE_HOURS),
            )
            record(
                "share.create",
                actor=actor,
                obj=package,
                summary=f"{package.get_kind_display()} for {office.name} ({method})",
                changes={"records": len(records), "file": file_name, "sha256": package.sha256},
            )
            disclosed.send(
                sender=SharePackage,
                records=records,
                recipient=office.name,
                purpose=purpose,
                method=SharePackage.Method(method).label,
                actor=actor,
                source=package,
                office=office,
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return package, password


class TamperedPackage(ValidationError):
    pass


def do_download_share(package: Any, *, actor: Any) -> bytes:
    """The package bytes, once checked against the SHA-256 taken when it was made."""
    from vigil.audit.models import Outcome
    from vigil.referrals import packages
    from vigil.referrals.models import SharePackage

    if not SharePackage.objects.for_user(actor, access.WRITE).filter(pk=package.pk).exists():
        raise PermissionDenied("Only the user who made the package (or a Manager) downloads it.")
    if not package.available:
        raise ValidationError("This package expired and was removed; make a new one.")
    path = settings.SHARE_DIR / package.path
    try:
        data = path.read_bytes()
    except OSError:
        raise ValidationError("The package file is missing; make a new one.") from None
    if packages.sha256(data) != package.sha256:
        record(
            "share.download",
            actor=actor,
            obj=package,
            outcome=Outcome.FAILED,
            summary="refused: the file does not match its checksum (tampered)",
        )
        raise TamperedPackage("The package file was altered since it was made; it is refused.")
    with transaction.atomic():
        from django.db.models import F

        SharePackage.objects.filter(pk=package.pk).update(download_count=F("download_count") + 1)
        record("share.download", actor=actor, obj=package, summary=package.file_name)
    return data


def do_remove_expired_shares(*, now: dt.datetime | None = None) -> int:
    """Remove expired package files; the package row (and the disclosure) stays."""
    from vigil.referrals.models import SharePackage

    now = now or timezone.now()
    removed = 0
    for package in SharePackage.objects.expired(now):
        (settings.SHARE_DIR / package.path).unlink(missing_ok=True)
        with transaction.atomic():
            SharePackage.objects.filter(pk=package.pk).update(removed_at=now)
            record(
                "share.expire",
                obj=package,
                actor_username="system",
                summary=f"{package.file_name} removed after expiry",
            )
        removed += 1
    return removed


def notify_correction(tip: Tip, report: Any, *, outcome: str, actor: Any) -> int:
    """The retention hook: a referred tip was corrected, so its receivers must hear of it.

    Each active referral holding the tip gets an audit row and its analyst a
    notification to pass the correction to the receiving office. Answers how
    many referrals (receivers) there were.
    """
    from vigil.messaging.actions import do_notify

    referrals = list(
        Referral.objects.active()
        .filter(members__tip=tip)
        .select_related("office", "tip__assigned_to", "created_by")
        .distinct()
    )
    for r in referrals:
        record(
            "referral.correction",
            actor=actor,
            obj=r,
            changes={"tip": tip.pk, "report": getattr(report, "pk", None), "outcome": outcome},
            summary=f"tip {tip.pk} {outcome}: {r.office.name} to be told"[:300],
        )
        analyst = r.analyst
        if analyst is not None and analyst.is_active:
            do_notify(
                analyst,
                subject=f"Tip {tip} was {outcome}: tell {r.office.name} (referral #{r.pk})",
                body=(
                    f"An inaccuracy report on tip {tip} was reviewed ({outcome}). The tip went to "
                    f"{r.office.name}"
                    + (f" under case {r.receiving_case_number}" if r.receiving_case_number else "")
                    + ": send them the correction."
                ),
                link=reverse("referrals-detail", args=[r.pk]),
                dedupe_key=f"referrals.correction:{getattr(report, 'pk', '')}:{r.pk}",
            )
    return len(referrals)
