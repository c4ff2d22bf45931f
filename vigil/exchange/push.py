"""Pushing our changes to a partner's Vigil (`vigil push_partner NAME`), batch by batch.

What leaves is exactly what that partner would pull (`sync.collect`: within what it may
receive, never its own records back), sent to its POST /api/exchange/sync/push with the token
it issued us (the same address and token as pulling). Each batch carries an id derived from the
checkpoints before and after it; the partner applies a batch id once. The push checkpoint
moves, and what left is audited and disclosed, only after the partner acknowledged the batch
(`actions.do_record_push_sent`): stopped at any point, a push resends at most one batch,
which the partner recognises. Outbound calls go through `vigil/lib/http.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from vigil.exchange import actions, sync
from vigil.exchange.models import Partner
from vigil.lib import http as outbound

PATH = "/api/exchange/sync/push"


def batch_id(partner: Partner, before: str, after: str) -> str:
    return hashlib.sha256(f"{partner.name}|{before}|{after}".encode()).hexdigest()[:40]


def push(
    partner: Partner,
    *,
    actor,
    limit: int = sync.DEFAULT_LIMIT,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Push everything new to `partner`. `actor` holds the "may share" grant (it discloses)."""
    actions.check_may_send(partner, actor)
    token = sync._token(partner)
    totals = {"records_sent": 0, "series_sent": 0, "tombstones_sent": 0, "batches": 0}
    totals.update(created=0, updated=0, unchanged=0, duplicates=0)
    while True:
        partner.refresh_from_db()
        before = partner.push_cursor
        body, ids, series_ids = sync.collect(partner, before, limit)
        if not (ids or body["series"] or body["tombstones"]):
            break
        batch = batch_id(partner, before, body["cursor"])
        payload = {
            "batch": batch,
            "series": body["series"],
            "records": body["records"],
            "tombstones": body["tombstones"],
        }
        try:
            answer = outbound.post(
                f"{partner.sync_url.rstrip('/')}{PATH}",
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
                accept="application/json",
                max_bytes=4 * 1024 * 1024,
                deadline=300,
                timeout=120,
            ).json()
        except outbound.HTTPStatusError as exc:
            try:
                reason = json.loads(exc.body.decode()).get("error", "")
            except (ValueError, AttributeError):
                reason = ""
            raise sync.SyncError(
                f"{partner.name} refused the push ({exc.status}): {reason or 'no reason given'}"
            ) from None
        except outbound.OutboundError as exc:
            raise sync.SyncError(f"{partner.name} could not be reached: {exc}") from None
        if not isinstance(answer, dict) or answer.get("batch") != batch:
            raise sync.SyncError(f"{partner.name} did not acknowledge batch {batch}.")
        actions.do_record_push_sent(
            partner,
            actor=actor,
            batch=batch,
            cursor=body["cursor"],
            ids=ids,
            series_ids=series_ids,
            tombstones=len(body["tombstones"]),
            answer=answer,
        )
        totals["batches"] += 1
        totals["records_sent"] += len(ids)
        totals["series_sent"] += len(body["series"])
        totals["tombstones_sent"] += len(body["tombstones"])
        if answer.get("duplicate"):
            totals["duplicates"] += 1  # taken before: its figures were counted then
        else:
            for key in ("created", "updated", "unchanged"):
                totals[key] += int(answer.get(key) or 0)
        if progress is not None:
            progress(totals["records_sent"])
        if not body["more"]:
            break
    return totals
