"""Background work: processing match requests (Django Tasks API)."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

from vigil.core import request_context, workers
from vigil.victimid import actions, matching
from vigil.victimid.models import MatchRequest

log = logging.getLogger(__name__)


@task()
def process_match_request(match_request_id: int, request_id: str = "", attempt: int = 0) -> None:
    """Hash and match every pending item, recording progress after each one."""
    with request_context.bind(request_id=request_id or None, via="task"):
        mr = MatchRequest.objects.get(pk=match_request_id)
        if mr.finished:
            return
        MatchRequest.objects.filter(pk=mr.pk).update(status=MatchRequest.Status.RUNNING)
        try:
            # The perceptual index is brought up to date once, before the first item.
            matching.refresh_index()
            for item in mr.items.filter(processed=False).order_by("position"):
                actions.process_item(mr, item, actor=mr.submitted_by, refresh=False)
                item.processed = True
                with transaction.atomic():
                    item.save()
                    done = mr.items.filter(processed=True).count()
                    MatchRequest.objects.filter(pk=mr.pk).update(done=done)
        except Exception as exc:  # keep the request readable; the log has the traceback
            log.exception("match request %s failed", mr.pk)
            mr.refresh_from_db()
            actions.do_finish_match_request(
                mr, failed=f"Processing stopped: {type(exc).__name__}: {exc}"[:500]
            )
            return
        mr.refresh_from_db()
        actions.do_finish_match_request(mr)


def match_request_lost(args: list, kwargs: dict, reason: str) -> None:
    """The worker is gone: go on with the unprocessed items, or fail after MAX_ATTEMPTS."""
    pk = kwargs.get("match_request_id", args[0] if args else None)
    request_id = kwargs.get("request_id", args[1] if len(args) > 1 else "")
    attempt = int(kwargs.get("attempt", args[2] if len(args) > 2 else 0))
    mr = MatchRequest.objects.filter(pk=pk).first()
    if mr is None or mr.finished:
        return
    with request_context.bind(request_id=request_id or None, via="task"):
        if attempt + 1 < workers.MAX_ATTEMPTS:
            MatchRequest.objects.filter(pk=mr.pk).update(status=MatchRequest.Status.QUEUED)
            process_match_request.enqueue(mr.pk, request_id, attempt=attempt + 1)
        else:
            actions.do_finish_match_request(
                mr, failed=f"{reason} Stopped after {mr.done} of {mr.total} items."[:500]
            )
