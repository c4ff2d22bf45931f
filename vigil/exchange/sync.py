"""Live sync between Vigil instances: the serving side's batches and the pulling side.

Serving (`changes`): what changed since the partner's cursor, in a stable order
— series by (updated_at, id), then media by (updated_at, id), then tombstones
by id — at most `limit` items a batch, with a `next` link while more remains.
Only rows older than a short settling time are served, so a transaction that
commits late cannot slip in behind a cursor already handed out.

Pulling (`pull`): each batch is applied and the partner's cursor moved in one
transaction, so an interrupted pull resumes from the last committed batch with
nothing lost and nothing doubled (applying a record twice changes nothing).
Outbound calls go through `vigil/lib/http.py` (the host must be allow-listed).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.utils import timezone

from vigil.exchange import actions, mapping
from vigil.exchange.models import Level, Partner, Tombstone
from vigil.lib import crypto
from vigil.lib import http as outbound
from vigil.victimid.models import Series

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000
PATH = "/api/exchange/sync/changes"
_EPOCH = "1970-01-01T00:00:00+00:00"


class CursorError(ValueError):
    pass


class SyncError(Exception):
    """The pull failed; the checkpoint stays where the last committed batch left it."""


def encode_cursor(c: dict[str, Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(c, separators=(",", ":")).encode()).decode().rstrip("=")
    )


def decode_cursor(text: str) -> dict[str, Any]:
    if not text:
        return {"s": [_EPOCH, 0], "m": [_EPOCH, 0], "d": 0}
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        c = json.loads(raw)
        for key in ("s", "m"):
            dt.datetime.fromisoformat(c[key][0])
            int(c[key][1])
        int(c["d"])
    except (ValueError, KeyError, TypeError, IndexError):
        raise CursorError("The cursor is not one this server handed out.") from None
    return c


def _after(qs, pos: list):
    """Rows after the cursor position `pos` = (updated_at, id): the row comparison
    `(updated_at, id) > (t, id)` (PostgreSQL walks the (updated_at, id) index from there, in
    order; SQLite gets Django's `t > … OR (= … AND id > …)`, `updated_at >= t` its range)."""
    t = dt.datetime.fromisoformat(pos[0])
    return qs.filter(updated_at__gte=t).filter(
        TupleGreaterThan(Tuple(F("updated_at"), F("id")), (t, int(pos[1])))
    )


ORDER = ("updated_at", "id")  # victimid's media_sync_order / series_sync_order indexes


def series_after(pos: list, horizon: dt.datetime):
    return _after(Series.objects.filter(updated_at__lte=horizon), pos).order_by(*ORDER)


def media_after(partner: Partner, pos: list, horizon: dt.datetime):
    """What may leave for `partner` after the cursor position `pos`, settled by `horizon`."""
    return _after(actions.exportable(partner, None).filter(updated_at__lte=horizon), pos)


def settle_seconds() -> float:
    return float(getattr(settings, "EXCHANGE_SYNC_SETTLE_SECONDS", 2.0))


def collect(
    partner: Partner, cursor: str, limit: int
) -> tuple[dict[str, Any], list[int], list[int]]:
    """One batch for `partner` after `cursor`, read only: (body, media ids, series ids).
    Serving a pull audits it (`changes`); a push audits it once the partner took it."""
    actions.check_partner_receives(partner)
    c = decode_cursor(cursor)
    limit = max(1, min(int(limit), MAX_LIMIT))
    horizon = timezone.now() - dt.timedelta(seconds=settle_seconds())
    with_series = partner.may_receive >= Level.SERIES
    out: dict[str, Any] = {"series": [], "records": [], "tombstones": []}
    budget = limit
    full = False
    series_ids: list[int] = []
    if with_series:
        rows = list(series_after(c["s"], horizon)[: budget + 1])
        if len(rows) > budget:
            rows, full = rows[:budget], True
        for s in rows:
            out["series"].append(mapping.series_out(s))
            series_ids.append(s.pk)
            c["s"] = [s.updated_at.isoformat(), s.pk]
        budget -= len(rows)
    ids: list[int] = []
    if budget > 0 and not full:
        qs = media_after(partner, c["m"], horizon)
        rows = list(
            actions.canonical_rows(qs, with_series=with_series, order=ORDER, limit=budget + 1)
        )
        if len(rows) > budget:
            rows, full = rows[:budget], True
        for pk, updated_at, rec in rows:
            out["records"].append(mapping.to_vics(rec, with_series=with_series))
            ids.append(pk)
            c["m"] = [updated_at.isoformat(), pk]
        budget -= len(rows)
    if budget > 0 and not full:
        rows = list(
            Tombstone.objects.filter(id__gt=int(c["d"]), deleted_at__lte=horizon).order_by("id")[
                : budget + 1
            ]
        )
        if len(rows) > budget:
            rows, full = rows[:budget], True
        for t in rows:
            out["tombstones"].append(
                {"md5": t.md5, "sha1": t.sha1, "deleted_at": t.deleted_at.isoformat()}
            )
            c["d"] = t.pk
    new_cursor = encode_cursor(c)
    out["cursor"] = new_cursor
    out["more"] = full
    return out, ids, series_ids


def changes(partner: Partner, cursor: str, limit: int, *, discloser=None) -> dict[str, Any]:
    """One batch for `partner` (the caller checked the token). Audited and disclosed
    in the name of `discloser` (the Manager who issued the token, or approved the partner)."""
    out, ids, series_ids = collect(partner, cursor, limit)
    if ids or out["series"] or out["tombstones"]:
        actions.do_record_sync_sent(
            partner,
            ids=ids,
            series_ids=series_ids,
            tombstones=len(out["tombstones"]),
            discloser=discloser,
        )
    return out


# --------------------------------------------------------------------------- pulling


def _token(partner: Partner) -> str:
    if not partner.sync_url or not partner.sync_token_encrypted:
        raise SyncError(f"{partner.name} has no sync address or token: set them on its page first.")
    return crypto.decrypt_field(partner.sync_token_encrypted)


def pull(
    partner: Partner,
    *,
    actor=None,
    limit: int = DEFAULT_LIMIT,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Pull everything new from `partner`, batch by batch. Returns the totals."""
    if actor is not None and not actions.rules.can_manage_partners(actor):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    try:
        actions.require_receiving(partner)
    except ValidationError as exc:
        raise SyncError(" ".join(exc.messages)) from None
    token = _token(partner)
    totals = actions.Counts()
    batches = 0
    while True:
        partner.refresh_from_db()
        url = (
            f"{partner.sync_url.rstrip('/')}{PATH}?limit={int(limit)}&cursor={partner.sync_cursor}"
        )
        try:
            body = outbound.get_json(
                url,
                headers={"Authorization": f"Bearer {token}"},
                max_bytes=64 * 1024 * 1024,
                deadline=300,
                timeout=60,
            )
        except outbound.HTTPStatusError as exc:
            try:
                reason = json.loads(exc.body.decode()).get("error", "")
            except (ValueError, AttributeError):
                reason = ""
            raise SyncError(
                f"{partner.name} refused the pull ({exc.status}): {reason or 'no reason given'}"
            ) from None
        except outbound.OutboundError as exc:
            raise SyncError(f"{partner.name} could not be reached: {exc}") from None
        if not isinstance(body, dict) or "cursor" not in body:
            raise SyncError(f"{partner.name} answered with something that is not a sync batch.")
        records = body.get("records") or []
        if not isinstance(records, list):
            raise SyncError("The batch's records are not a list.")
        actions.do_apply_sync_batch(partner, body, records, actor=actor, totals=totals)
        batches += 1
        if progress is not None:
            progress(totals.records_read)
        if not body.get("more"):
            break
    totals_dict = totals.summary()
    totals_dict.update(batches=batches, conflicts=totals.conflicts, deleted=totals.deleted)
    return totals_dict
