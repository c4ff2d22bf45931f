"""Selectors: build (validate and normalise) one, save new ones on a tip, add, confirm, remove."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.audit.log import record
from vigil.core import bulk
from vigil.lib import crypto
from vigil.lib import selectors as sel
from vigil.tips.actions.common import label, require_write
from vigil.tips.models import Selector, Tip
from vigil.tips.signals import (
    FlagReply,
    selectors_added,
    selectors_added_bulk,
    selectors_confirmed,
    selectors_removed,
)

T = Selector.Type
HASHED_TYPES = sel.HASHED_TYPES  # re-exported: tips.actions.HASHED_TYPES
MAX_SELECTOR_RAW = 1024
_HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX_RE = re.compile(r"^[0-9a-f]+$")

_TYPE_VALUES = frozenset(T.values)
# The types build_selector branches on, as plain strings: reading a member off the
# TextChoices class costs more than the comparison, on every selector of a bulk import.
_FILE_HASH, _ATTRIBUTE, _IP, _PHONE = (t.value for t in (T.FILE_HASH, T.ATTRIBUTE, T.IP, T.PHONE))
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
ip_observation = lru_cache(maxsize=16384)(sel.parse_ip_observation)


@lru_cache(maxsize=65536)
def _normal_form(
    kind: str, raw: str, region: str | None, platform: str | None
) -> tuple[str | None, bool]:
    """(normal form or None, validated) of a selector other than IP, hash or attribute."""
    value = sel.normalise(kind, raw, default_region=region, platform=platform)
    if not value and kind == _PHONE:
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
    details = dict(item.details) if item.details else {}
    observed_at, port = item.observed_at, item.port
    if region is None:
        region = tip.country or (tip.source.country if tip.source_id else "") or None
    if kind == _FILE_HASH:
        value = _file_hash(raw)
        if value:
            details.setdefault("algorithm", _HASH_LENGTHS[len(value)])
    elif kind == _ATTRIBUTE:
        key, colon, rest = raw.partition(":")
        key = details.get("key") or (key.strip() if colon else "")
        text = rest if colon and not details.get("key") else raw
        norm = sel.normalise(T.ATTRIBUTE, text)
        value = f"{key.strip().lower()}: {norm}" if norm and key else norm
        if key:
            details["key"] = key.strip()
    elif kind == _IP:
        obs = ip_observation(raw)
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
    selector = bulk.new(
        Selector,
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


def extracted_selectors(tip: Tip, text: str) -> list[Selector]:
    if not text:
        return []
    region = tip.country or (tip.source.country if tip.source_id else "") or "US"
    return [
        bulk.new(
            Selector, tip=tip, type=kind, raw=raw, value=value, extracted=True, confirmed=False
        )
        for kind, raw, value in _extract_cached(text, region)
    ]


def _flag_count(responses: list[tuple[Any, Any]]) -> FlagReply:
    """The flags listeners report (a FlagReply: an int that may carry notes for summaries)."""
    counts = [r for _receiver, r in responses if isinstance(r, int) and not isinstance(r, bool)]
    return FlagReply(sum(counts), [n for r in counts for n in getattr(r, "notes", ())])


def emit_added(tip: Tip, added: list[Selector], actor: Any) -> int:
    """Tell listeners (deconfliction); returns the flags they report raising."""
    if not added:
        return 0
    return _flag_count(selectors_added.send(sender=Tip, tip=tip, selectors=added, actor=actor))


def emit_confirmed(tip: Tip, confirmed: list[Selector], actor: Any) -> int:
    """Extracted selectors were confirmed: listeners probe them again ("possible" flags)."""
    if not confirmed:
        return 0
    return _flag_count(
        selectors_confirmed.send(sender=Tip, tip=tip, selectors=confirmed, actor=actor)
    )


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

    An explicit selector matching an unconfirmed extracted one confirms it (audited here,
    `tip.selector_confirm`, whichever action called). Returns (added, flags raised). Caller
    holds the transaction and has checked rights.
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
    if confirmed:
        record(
            "tip.selector_confirm",
            actor=actor,
            obj=tip,
            changes={"confirmed": [label(s) for s in confirmed]},
            summary=f"{len(confirmed)} proposed selector(s) confirmed by adding them",
        )
    return added, emit_added(tip, added, actor) + emit_confirmed(tip, confirmed, actor)


def do_add_selectors(
    tip: Tip, items: Iterable[SelectorInput], *, actor: Any, extracted: bool = False
) -> list[Selector]:
    """Validate every item first (all or nothing), then add the new ones."""
    require_write(tip, actor)
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
                changes={"added": [label(s) for s in added]},
                summary=f"{len(added)} selector(s) added",
            )
    return added


def do_confirm_selector(selector: Selector, *, actor: Any) -> Selector:
    require_write(selector.tip, actor)
    with transaction.atomic():
        if not selector.confirmed:
            selector.confirmed = True
            selector.save(update_fields=["confirmed"])
            record(
                "tip.selector_confirm",
                actor=actor,
                obj=selector.tip,
                changes={"confirmed": label(selector)},
                summary=f"confirmed {selector.get_type_display()}",
            )
            emit_confirmed(selector.tip, [selector], actor)
    return selector


def do_remove_selector(selector: Selector, *, actor: Any, reason: str = "") -> None:
    tip = selector.tip
    require_write(tip, actor)
    with transaction.atomic():
        removed = label(selector)
        key = (selector.type, selector.value)
        selector.delete()
        record(
            "tip.selector_remove",
            actor=actor,
            obj=tip,
            changes={"removed": removed, "reason": reason},
            summary=f"removed {key[0]} selector",
        )
        selectors_removed.send(sender=Tip, tip=tip, selectors=[key], actor=actor)
