"""Reference data: the warning list and the common values, cached per process.

Both are read for every selector of every imported tip, so each process keeps
a copy and revalidates it with one tiny query at most every WARNING_LIST_TTL
seconds. Managers and administrators change the warning list here (audited).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from vigil.accounts import access
from vigil.audit.log import record
from vigil.deconfliction.models import CommonValue, WarningListEntry
from vigil.lib import names
from vigil.lib.selectors import HASHED_TYPES
from vigil.tips.models import Selector

PERSON = Selector.Type.PERSON

# --- the warning list, cached per process and revalidated by one tiny query ----------


def _ip_int(value: str) -> tuple[int | None, int]:
    """(IP version, the address as an integer), or (None, 0) if `value` is no address.

    A dotted quad is read by inet_pton (every IP of an import passes here: in C, and
    as strict as `ipaddress`: four decimal octets, no leading zero), anything else
    by `ipaddress`.
    """
    try:
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, value), "big")
    except (OSError, ValueError, TypeError):
        pass
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return None, 0
    return addr.version, int(addr)


@dataclass
class _WarningList:
    signature: tuple = ()
    checked_at: float = 0.0
    exact: dict[tuple[str, str], str] = field(default_factory=dict)
    networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = field(
        default_factory=list
    )
    ranges: list[tuple[int, int, int, str]] | None = None

    def match(self, type_: str, value: str) -> str | None:
        """The note of the entry `value` falls under, or None."""
        note = self.exact.get((type_, value))
        if note is not None:
            return note
        if type_ == Selector.Type.IP and self.networks:
            version, as_int = _ip_int(value)
            if version is None:
                return None
            # Integer compares: this runs for every IP of every imported tip.
            for net_version, base, mask, net_note in self._ranges():
                if net_version == version and as_int & mask == base:
                    return net_note
        return None

    def _ranges(self) -> list[tuple[int, int, int, str]]:
        if self.ranges is None:
            self.ranges = [
                (net.version, int(net.network_address), int(net.netmask), note)
                for net, note in self.networks
            ]
        return self.ranges


_warning_cache = _WarningList()
# Seconds a process trusts its copy before re-checking the list's signature (one
# tiny query). Changes made through this process's actions apply at once.
WARNING_LIST_TTL = 2.0


def invalidate_warning_list() -> None:
    global _warning_cache
    _warning_cache = _WarningList()


def warning_list() -> _WarningList:
    global _warning_cache
    now = time.monotonic()
    if _warning_cache.signature and now - _warning_cache.checked_at < WARNING_LIST_TTL:
        return _warning_cache
    # Count, newest id and newest time: any add or (soft) removal changes one of them,
    # even when a rolled-back transaction let an id be reused.
    agg = WarningListEntry.objects.active().aggregate(
        n=Count("id"), m=Max("id"), t=Max("created_at")
    )
    signature = (agg["n"], agg["m"], agg["t"])
    if signature != _warning_cache.signature:
        fresh = _WarningList(signature=signature)
        for entry in WarningListEntry.objects.active():
            note = entry.note or "on the warning list"
            net = entry.network() if entry.is_range else None
            if net is not None:
                fresh.networks.append((net, f"{entry.value}: {note}"))
            else:
                fresh.exact[(entry.type, entry.value)] = note
        _warning_cache = fresh
    _warning_cache.checked_at = now
    return _warning_cache


@dataclass
class _CommonValues:
    signature: tuple = ()
    checked_at: float = 0.0
    values: set[tuple[str, str]] = field(default_factory=set)


_common_cache = _CommonValues()


def invalidate_common_values() -> None:
    global _common_cache
    _common_cache = _CommonValues()


def common_values() -> set[tuple[str, str]]:
    """Every (type, value) known to be common: few by nature, so held in memory."""
    global _common_cache
    now = time.monotonic()
    if _common_cache.signature and now - _common_cache.checked_at < WARNING_LIST_TTL:
        return _common_cache.values
    agg = CommonValue.objects.aggregate(n=Count("id"), m=Max("id"), t=Max("updated_at"))
    signature = (agg["n"], agg["m"], agg["t"])
    if signature != _common_cache.signature:
        _common_cache = _CommonValues(
            signature=signature, values=set(CommonValue.objects.values_list("type", "value"))
        )
    _common_cache.checked_at = now
    return _common_cache.values


# --- the warning list ----------------------------------------------------------------------


def normalise_warning_value(type_: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("Enter a value.")
    if type_ not in Selector.Type.values:
        raise ValidationError(f"Unknown type {type_!r}.")
    if type_ == Selector.Type.IP:
        try:
            if "/" in value:
                return str(ipaddress.ip_network(value, strict=False))
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValidationError(
                f"{value!r} is not an IP address or CIDR range (e.g. 10.0.0.0/8)."
            ) from None
    if type_ in HASHED_TYPES:
        raise ValidationError("SSNs and card numbers cannot go on the warning list.")
    if type_ in (Selector.Type.DOMAIN, Selector.Type.EMAIL):
        value = value.lower().rstrip(".")
    if type_ == PERSON:
        value = names.normalise_name(value)
    return value[:512]


def do_add_warning_entry(*, type: str, value: str, note: str = "", actor) -> WarningListEntry:
    access.require(access.can_manage_reference_data(actor))
    value = normalise_warning_value(type, value)
    with transaction.atomic():
        if WarningListEntry.objects.active().filter(type=type, value=value).exists():
            raise ValidationError(f"{type} {value} is already on the warning list.")
        entry = WarningListEntry.objects.create(
            type=type, value=value, note=(note or "").strip()[:300], added_by=actor
        )
        transaction.on_commit(invalidate_warning_list)
        invalidate_warning_list()
        record(
            "deconfliction.warning_add",
            actor=actor,
            obj=entry,
            summary=f"warning list: added {type} {value}",
            changes={"type": type, "value": value, "note": entry.note},
        )
    return entry


def do_remove_warning_entry(entry: WarningListEntry, *, actor) -> WarningListEntry:
    access.require(access.can_manage_reference_data(actor))
    with transaction.atomic():
        entry = WarningListEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.removed_at is not None:
            raise ValidationError("That entry was already removed.")
        entry.removed_at = timezone.now()
        entry.removed_by = actor
        entry.save(update_fields=["removed_at", "removed_by"])
        transaction.on_commit(invalidate_warning_list)
        invalidate_warning_list()
        record(
            "deconfliction.warning_remove",
            actor=actor,
            obj=entry,
            summary=f"warning list: removed {entry.type} {entry.value}",
            changes={"type": entry.type, "value": entry.value},
        )
    return entry
