"""Background work: processing match requests (Django Tasks API)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks import task

from vigil.core import request_context, workers
from vigil.lib.text import error_line
from vigil.victimid import actions, matching, storage
from vigil.victimid.hashing import default_jobs, query_hasher
from vigil.victimid.models import MatchRequest

log = logging.getLogger(__name__)

# A pool pays its start-up (each spawned process imports Pillow, numpy and pdqhash:
# ~0.5 s of CPU) only for requests with at least this many files per process.
POOL_MIN_FILES_PER_JOB = 4


def _hashed_ahead(mr: MatchRequest, items: list) -> Iterator[tuple[Any, Any]]:
    """(item, None | (bytes, future of its hashes)) in order: with several cores and
    enough files, the files are hashed on spawned processes (VIGIL_MATCH_JOBS, default
    all cores) a few ahead of the item being recorded, which stays in this process with
    every database write. The worker process itself is never forked (its heartbeat
    thread, its database connections); at most 2 x jobs files are in memory at once."""
    files = [item for item in items if item.staged_path]
    jobs = min(settings.MATCH_JOBS or default_jobs(), len(files) // POOL_MIN_FILES_PER_JOB)
    if jobs < 2:
        yield from ((item, None) for item in items)
        return
    hasher = query_hasher(mr.dihedral)
    ahead: dict[int, tuple[bytes, Future]] = {}
    queue = iter(files)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:

        def top_up() -> None:
            while len(ahead) < 2 * jobs:
                item = next(queue, None)
                if item is None:
                    return
                data = storage.read(item.staged_path, item.staged_key)
                ahead[item.pk] = (data, pool.submit(hasher, data, item.name))

        for item in items:
            top_up()
            yield item, ahead.pop(item.pk, None)


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
            items = list(mr.items.filter(processed=False).order_by("position"))
            for item, ahead in _hashed_ahead(mr, items):
                actions.process_item(mr, item, actor=mr.submitted_by, refresh=False, ahead=ahead)
                item.processed = True
                with transaction.atomic():
                    item.save()
                    done = mr.items.filter(processed=True).count()
                    MatchRequest.objects.filter(pk=mr.pk).update(done=done)
        except Exception as exc:  # keep the request readable; the log has the traceback
            log.exception("match request %s failed", mr.pk)
            mr.refresh_from_db()
            actions.do_finish_match_request(
                mr, failed=f"Processing stopped: {type(exc).__name__}: {error_line(exc)}"[:500]
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
