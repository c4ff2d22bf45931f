"""Background work: processing match requests (Django Tasks API)."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

from vigil.core import request_context

log = logging.getLogger(__name__)


@task()
def process_match_request(match_request_id: int, request_id: str = "") -> None:
    """Hash and match every pending item, recording progress after each one."""
    from vigil.victimid import actions, matching
    from vigil.victimid.models import MatchRequest

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
