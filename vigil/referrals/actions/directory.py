"""The directory of field offices and their areas of responsibility."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.referrals.models import Area, Office
from vigil.referrals.places import parse_area

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
