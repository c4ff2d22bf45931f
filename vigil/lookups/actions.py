"""Write path of the lookups app: RDAP switch, RDAP look-ups (the cached answers), the offline
range database's loads, the provider directory. rdap.py and ranges.py speak the protocol and
read the file; they store nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import diff, record, snapshot
from vigil.lib import selectors as sel
from vigil.lookups import ranges, rdap
from vigil.lookups.models import (
    IPRange,
    LookupSettings,
    Provider,
    ProviderMapping,
    RangeSource,
    RdapResult,
)

MAX_CSV_BYTES = 5 * 1024 * 1024
_SPLIT_RE = re.compile(r"[;,\s]+")


# --- RDAP ----------------------------------------------------------------------------------


def do_set_rdap_enabled(enabled: bool, *, actor: Any) -> LookupSettings:
    """Only an administrator turns RDAP on or off (it opens an outbound connection)."""
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only an administrator can turn RDAP look-ups on or off.")
    with transaction.atomic():
        obj, _ = LookupSettings.objects.select_for_update().get_or_create(pk=1)
        before = obj.rdap_enabled
        obj.rdap_enabled = bool(enabled)
        obj.updated_by = actor
        obj.save()
        record(
            "lookups.rdap_settings",
            actor=actor,
            obj=obj,
            changes={"rdap_enabled": {"before": before, "after": obj.rdap_enabled}},
            summary=f"RDAP look-ups {'enabled' if obj.rdap_enabled else 'disabled'}",
        )
    return obj


def can_run_rdap(user: Any) -> bool:
    return access.can_create(user)


def do_rdap_lookup(kind: str, value: str, *, actor: Any, refresh: bool = False) -> RdapResult:
    """One RDAP look-up (cached), by an investigator or manager."""
    if not can_run_rdap(actor):
        raise PermissionDenied("Investigators and managers may run RDAP look-ups.")
    return do_rdap_fetch(kind, value, actor=actor, max_age=dt.timedelta(0) if refresh else None)


def do_rdap_fetch(
    kind: str, value: str, *, actor: Any, max_age: dt.timedelta | None = None
) -> RdapResult:
    """The RDAP answer for (kind, value), from the cache if younger than `max_age`. Audited.

    Stores and returns an RdapResult whatever the outcome (found, not found,
    rate limited, error): the tip page shows what happened and when. The caller checked
    who may ask (do_rdap_lookup; the import's background task, for its importer).
    """
    query = rdap.normalise_query(kind, value)
    max_age = max_age if max_age is not None else dt.timedelta(days=settings.RDAP_CACHE_DAYS)
    now = timezone.now()
    hit = rdap.cached(kind, query, max_age=max_age, now=now)
    if hit is not None:
        return hit
    fields = rdap.ask_registry(kind, query, now=now)
    with transaction.atomic():
        result, _ = RdapResult.objects.update_or_create(kind=kind, query=query, defaults=fields)
        record(
            "lookups.rdap",
            actor=actor,
            obj=result,
            outcome="success" if result.status != RdapResult.Status.ERROR else "failed",
            changes={
                "kind": kind,
                "query": query,
                "url": result.source_url,
                "status": result.status,
            },
            summary=f"RDAP {kind} {query}: {result.get_status_display()}",
        )
    return result


# --- the offline range database --------------------------------------------------------------


def do_import_ranges(
    path: Path,
    *,
    source: str = ranges.DEFAULT_SOURCE,
    actor: Any = None,
    actor_username: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Replace `source`'s load with the file's ranges (ranges.parse_file), in one
    transaction. Audited lookups.ranges_import; the in-memory index is rebuilt on next use."""
    source = (source or ranges.DEFAULT_SOURCE).strip()
    if not source or len(source) > 100:
        raise ranges.RangeFileError("--source must name the source (1-100 characters)")
    rows = ranges.parse_file(path)
    as_of = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    total = len(rows)
    with transaction.atomic():
        src, created = RangeSource.objects.select_for_update().get_or_create(name=source)
        replaced = 0 if created else src.ranges.count()
        src.ranges.all().delete()
        # Plain executemany: a load is hundreds of thousands of rows, and model instances
        # cost more than the insert itself.
        q = connection.ops.quote_name
        table = q(IPRange._meta.db_table)
        cols = ", ".join(
            q(c) for c in ("source_id", "family", "start", "end", "asn", "country", "owner")
        )
        sql = f"INSERT INTO {table} ({cols}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
        with connection.cursor() as cursor:
            for i in range(0, total, ranges.BATCH):
                cursor.executemany(
                    sql,
                    [
                        (
                            src.pk,
                            r.family,
                            f"{r.start:032x}",
                            f"{r.end:032x}",
                            r.asn,
                            r.country,
                            r.owner,
                        )
                        for r in rows[i : i + ranges.BATCH]
                    ],
                )
                if progress is not None:
                    progress(min(total, i + ranges.BATCH), total)
        v4 = sum(1 for r in rows if r.family == 4)
        src.as_of = as_of
        src.loaded_at = timezone.now()
        src.file_name = path.name[:255]
        src.row_count = total
        src.ipv4_count = v4
        src.ipv6_count = total - v4
        src.generation += 1
        src.save()
        summary = {
            "source": src.name,
            "file": path.name,
            "ranges": total,
            "ipv4": v4,
            "ipv6": total - v4,
            "replaced": replaced,
            "as_of": as_of.date().isoformat(),
            "loaded_at": src.loaded_at.isoformat(),
        }
        record(
            "lookups.ranges_import",
            actor=actor,
            actor_username=actor_username,
            obj=src,
            changes=summary,
            summary=f"{total:,} ranges loaded into {src.name} (replacing {replaced:,})",
        )
    ranges.invalidate()
    return summary


# --- providers -----------------------------------------------------------------------------


def normalise_mapping(kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind == ProviderMapping.Kind.ASN:
        text = value.upper().removeprefix("AS")
        if not text.isdigit() or not 0 < int(text) <= 4294967295:
            raise ValidationError(f"{value[:40]!r} is not an AS number")
        return str(int(text))
    if kind == ProviderMapping.Kind.RDAP_HANDLE:
        if not value or len(value) > 200:
            raise ValidationError("an RDAP handle is 1-200 characters")
        return value.upper()
    if kind == ProviderMapping.Kind.EMAIL_DOMAIN:
        domain = sel.normalise("domain", value.lstrip("@"))
        if not domain:
            raise ValidationError(f"{value[:60]!r} is not a domain")
        return domain
    if kind == ProviderMapping.Kind.PLATFORM:
        folded = sel.fold_platform(value)
        if folded == "unknown":
            raise ValidationError("a platform needs a name")
        return folded[:255]
    raise ValidationError(f"unknown mapping kind {kind!r}")


def _require_manage(actor: Any) -> None:
    if not access.can_manage_reference_data(actor):
        raise PermissionDenied("Managers maintain the provider directory.")


def _clean_provider(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in Provider.EDITABLE:
        if name not in fields:
            continue
        value = fields[name]
        if name == "active":
            out[name] = bool(value)
            continue
        value = (str(value) if value is not None else "").strip()
        field = Provider._meta.get_field(name)
        if field.max_length and len(value) > field.max_length:
            raise ValidationError(
                f"{name.replace('_', ' ')}: longer than {field.max_length} characters"
            )
        out[name] = value
    if "name" in out and not out["name"]:
        raise ValidationError("A provider needs a name.")
    if "kind" in out and out["kind"] not in Provider.Kind.values:
        raise ValidationError(f"kind must be one of {', '.join(Provider.Kind.values)}")
    if "service_method" in out and out["service_method"] not in Provider.Method.values:
        raise ValidationError(f"service method must be one of {', '.join(Provider.Method.values)}")
    if out.get("legal_email") and not sel.normalise("email", out["legal_email"]):
        raise ValidationError(f"{out['legal_email']!r} is not an e-mail address")
    return out


def do_create_provider(*, actor: Any, **fields: Any) -> Provider:
    _require_manage(actor)
    clean = _clean_provider(fields)
    if "name" not in clean:
        raise ValidationError("A provider needs a name.")
    try:
        with transaction.atomic():
            provider = Provider.objects.create(**clean)
            record(
                "lookups.provider_create",
                actor=actor,
                obj=provider,
                changes=snapshot(provider, Provider.EDITABLE),
                summary=f"provider {provider.name}",
            )
    except IntegrityError:
        raise ValidationError(f"A provider named {clean['name']!r} exists already.") from None
    return provider


def do_update_provider(provider: Provider, *, actor: Any, **fields: Any) -> Provider:
    _require_manage(actor)
    clean = _clean_provider(fields)
    before = snapshot(provider, Provider.EDITABLE)
    for k, v in clean.items():
        setattr(provider, k, v)
    try:
        with transaction.atomic():
            provider.save()
            changes = diff(before, snapshot(provider, Provider.EDITABLE))
            if changes:
                record(
                    "lookups.provider_update",
                    actor=actor,
                    obj=provider,
                    changes=changes,
                    summary=f"provider {provider.name}",
                )
    except IntegrityError:
        raise ValidationError(f"A provider named {provider.name!r} exists already.") from None
    return provider


def do_delete_provider(provider: Provider, *, actor: Any) -> None:
    if not access.can_delete(actor) and not access.can_manage_reference_data(actor):
        raise PermissionDenied
    _require_manage(actor)
    from django.db.models import ProtectedError

    try:
        with transaction.atomic():
            record(
                "lookups.provider_delete",
                actor=actor,
                obj=provider,
                changes=snapshot(provider, Provider.EDITABLE),
                summary=f"provider {provider.name}",
            )
            provider.delete()
    except ProtectedError:
        raise ValidationError(
            f"{provider.name} is named on subpoenas; mark it inactive instead of deleting it."
        ) from None


def do_add_mapping(provider: Provider, kind: str, value: str, *, actor: Any) -> ProviderMapping:
    _require_manage(actor)
    norm = normalise_mapping(kind, value)
    existing = (
        ProviderMapping.objects.filter(kind=kind, value=norm).select_related("provider").first()
    )
    if existing is not None:
        if existing.provider_id == provider.pk:
            return existing
        raise ValidationError(f"{kind} {norm} already points at {existing.provider.name}.")
    with transaction.atomic():
        mapping = ProviderMapping.objects.create(provider=provider, kind=kind, value=norm)
        record(
            "lookups.provider_mapping_add",
            actor=actor,
            obj=provider,
            changes={"kind": kind, "value": norm},
            summary=f"{kind} {norm} → {provider.name}",
        )
    return mapping


def do_remove_mapping(mapping: ProviderMapping, *, actor: Any) -> None:
    _require_manage(actor)
    with transaction.atomic():
        record(
            "lookups.provider_mapping_remove",
            actor=actor,
            obj=mapping.provider,
            changes={"kind": mapping.kind, "value": mapping.value},
            summary=f"{mapping.kind} {mapping.value} no longer → {mapping.provider.name}",
        )
        mapping.delete()


CSV_MAPPING_COLUMNS = {
    "asns": ProviderMapping.Kind.ASN,
    "rdap_handles": ProviderMapping.Kind.RDAP_HANDLE,
    "email_domains": ProviderMapping.Kind.EMAIL_DOMAIN,
    "platforms": ProviderMapping.Kind.PLATFORM,
}


def do_import_providers(data: bytes, *, actor: Any) -> dict[str, int]:
    """CSV with a header: name plus any of Provider's fields and asns/rdap_handles/
    email_domains/platforms (values separated by ';', ',' or spaces). Upserts by name.
    All or nothing: any bad line and nothing changes (the error names the line)."""
    _require_manage(actor)
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError("The CSV file is larger than 5 MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The CSV file is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    if "name" not in headers:
        raise ValidationError("The CSV file needs a header line with a 'name' column.")
    unknown = set(headers) - set(Provider.EDITABLE) - set(CSV_MAPPING_COLUMNS)
    if unknown:
        raise ValidationError(f"Unknown column(s): {', '.join(sorted(unknown))}.")
    reader.fieldnames = headers
    rows = []
    errors = []
    seen_values: dict[tuple[str, str], str] = {}
    for line, row in enumerate(reader, start=2):
        try:
            fields = {k: v for k, v in row.items() if k in Provider.EDITABLE and v is not None}
            if "active" in fields:
                fields["active"] = str(fields["active"]).strip().lower() not in {
                    "0",
                    "no",
                    "false",
                    "n",
                }
            clean = _clean_provider(fields)
            if not clean.get("name"):
                raise ValidationError("a provider needs a name")
            maps = []
            for col, kind in CSV_MAPPING_COLUMNS.items():
                for raw in _SPLIT_RE.split(row.get(col) or ""):
                    if raw:
                        norm = normalise_mapping(kind, raw)
                        other = seen_values.get((kind, norm))
                        if other and other != clean["name"]:
                            raise ValidationError(f"{kind} {norm} is given for {other} too")
                        seen_values[(kind, norm)] = clean["name"]
                        maps.append((kind, norm))
            rows.append((clean, maps))
        except ValidationError as exc:
            errors.append(f"line {line}: {'; '.join(exc.messages)}")
    if errors:
        raise ValidationError(errors[:20])
    created = updated = mapped = 0
    # Each provider the file creates or changes gets its own audit row (as a change on the
    # page would), with what changed and the mappings added; then one row for the import.
    with transaction.atomic():
        for clean, maps in rows:
            provider = Provider.objects.filter(name=clean["name"]).first()
            if provider is None:
                provider = Provider.objects.create(**clean)
                created += 1
                action, changes = "lookups.provider_create", snapshot(provider, Provider.EDITABLE)
            else:
                before = snapshot(provider, Provider.EDITABLE)
                for k, v in clean.items():
                    setattr(provider, k, v)
                provider.save()
                updated += 1
                action, changes = (
                    "lookups.provider_update",
                    diff(before, snapshot(provider, Provider.EDITABLE)),
                )
            added = []
            for kind, norm in maps:
                existing = ProviderMapping.objects.filter(kind=kind, value=norm).first()
                if existing is None:
                    ProviderMapping.objects.create(provider=provider, kind=kind, value=norm)
                    mapped += 1
                    added.append(f"{kind} {norm}")
                elif existing.provider_id != provider.pk:
                    raise ValidationError(
                        f"{kind} {norm} already points at {existing.provider.name}; nothing was imported."
                    )
            if changes or added:
                record(
                    action,
                    actor=actor,
                    obj=provider,
                    changes={**changes, "mappings_added": added, "via": "CSV import"},
                    summary=f"provider {provider.name} (CSV import)",
                )
        summary = {"created": created, "updated": updated, "mappings_added": mapped}
        record(
            "lookups.provider_import",
            actor=actor,
            object_type="lookups.provider",
            changes=summary,
            summary=f"provider CSV: {created} created, {updated} updated, {mapped} mappings",
        )
    return summary


# --- proposals -----------------------------------------------------------------------------


def _tries(
    *,
    asn: int | str | None = None,
    rdap_handle: str = "",
    email_domain: str = "",
    platform: str = "",
) -> list[tuple[str, str]]:
    """The mappings to try, most specific first: RDAP organisation handle, AS number, e-mail
    domain, platform."""
    K = ProviderMapping.Kind
    tries = []
    if rdap_handle:
        tries.append((K.RDAP_HANDLE.value, rdap_handle.strip().upper()))
    if asn:
        tries.append((K.ASN.value, str(asn)))
    if email_domain:
        tries.append((K.EMAIL_DOMAIN.value, email_domain.strip().lower()))
    if platform:
        tries.append((K.PLATFORM.value, sel.fold_platform(platform)))
    return tries


def propose_providers(lookups: list[dict[str, Any]]) -> list[Provider | None]:
    """propose_provider for each of many look-ups (its keyword arguments), in one query
    whatever their number: a tip with thirty IPs costs what a tip with one does."""
    tries = [_tries(**kw) for kw in lookups]
    wanted: dict[str, set[str]] = {}
    for t in tries:
        for kind, value in t:
            wanted.setdefault(kind, set()).add(value)
    if not wanted:
        return [None] * len(lookups)
    cond = Q()
    for kind, values in wanted.items():
        cond |= Q(kind=kind, value__in=sorted(values))
    found = {
        (m.kind, m.value): m.provider
        for m in ProviderMapping.objects.filter(cond, provider__active=True).select_related(
            "provider"
        )
    }
    return [next((found[k] for k in t if k in found), None) for t in tries]


def propose_provider(
    *,
    asn: int | str | None = None,
    rdap_handle: str = "",
    email_domain: str = "",
    platform: str = "",
) -> Provider | None:
    """The provider a look-up points at: RDAP organisation handle first (most specific)."""
    return propose_providers(
        [
            {
                "asn": asn,
                "rdap_handle": rdap_handle,
                "email_domain": email_domain,
                "platform": platform,
            }
        ]
    )[0]
