"""The queue's filters, one definition for the queue page, its export and GET /api/tips/.

Parameters (all optional): `status` (a status, or `open`), `source` (an id; the
API also takes a name), `assignee` (`none`, `me`, an id; the API also takes a
username), `priority` and `batch` (a web import's job id: the tips it created).
A value that cannot be one answers 400 with a message (vigil/core/params.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from vigil.core.params import BadParameter, int_param
from vigil.tips.models import Tip

FILTERS = ("status", "source", "assignee", "priority", "batch")


def filter_queue(
    qs: QuerySet, params: Mapping[str, Any], user: Any, *, names: bool = False
) -> tuple[QuerySet, dict]:
    """`qs` (already scoped to `user`) filtered and in queue order; the filter values used.

    The page's form sends ids; the API also takes a source name and a username
    (`names=True`), as its documentation says.
    """
    f = {k: str(params.get(k, "") or "").strip() for k in FILTERS}
    if f["status"] == "open":
        qs = qs.open()
    elif f["status"] in Tip.Status.values:
        qs = qs.filter(status=f["status"])
    elif f["status"]:
        raise BadParameter(
            f"status: {f['status'][:40]!r} is not one of open, {', '.join(Tip.Status.values)}."
        )
    if f["source"] and names and not f["source"].isdigit():
        qs = qs.filter(source__name__iexact=f["source"])
    elif f["source"]:
        qs = qs.filter(source_id=int_param(f["source"], "source"))
    if f["assignee"] == "none":
        qs = qs.filter(assigned_to__isnull=True)
    elif f["assignee"] == "me":
        qs = qs.filter(assigned_to=user)
    elif f["assignee"] and names and not f["assignee"].isdigit():
        qs = qs.filter(assigned_to__username=f["assignee"])
    elif f["assignee"]:
        qs = qs.filter(assigned_to_id=int_param(f["assignee"], "assignee"))
    if f["priority"]:
        qs = qs.filter(priority=int_param(f["priority"], "priority", maximum=32767))
    if f["batch"]:
        qs = qs.filter(import_job_id=int_param(f["batch"], "batch"))
    return qs.queue(), f
