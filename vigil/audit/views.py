from __future__ import annotations

import csv
import datetime as dt
import json

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.audit import queries, redaction
from vigil.audit.log import record
from vigil.audit.models import LEGACY_OUTCOMES, AuditEvent, Outcome
from vigil.lib.csvsafe import safe_row

FILTERS = ("user", "action", "object_type", "object_id", "outcome", "since", "until")


def _filtered(request: HttpRequest):
    qs = AuditEvent.objects.all()
    q = request.GET
    errors = []
    if q.get("user"):
        # Exact match on the stored name uses the index (iexact cannot on PostgreSQL);
        # the account table supplies the right case for whatever case was typed.
        name = q["user"].strip()
        known = (
            get_user_model()
            .objects.filter(username__iexact=name)
            .values_list("username", flat=True)
            .first()
        )
        qs = qs.filter(actor_username=known or name)
    if q.get("action"):
        # A family ("tip." or "tip.*") selects every action in it; otherwise the exact action.
        action = q["action"].strip()
        if action.endswith((".", "*")):
            qs = qs.filter(action__startswith=action.rstrip("*"))
        else:
            qs = qs.filter(action=action)
    if q.get("object_type"):
        qs = qs.filter(object_type=q["object_type"].strip())
    if q.get("object_id"):
        qs = qs.filter(object_id=q["object_id"].strip())
    if q.get("outcome"):
        outcome = q["outcome"].strip().lower()
        outcome = LEGACY_OUTCOMES.get(outcome, outcome)
        if outcome in Outcome.values:
            qs = qs.filter(outcome=outcome)
        else:
            errors.append(f"Outcome must be one of: {', '.join(Outcome.values)}.")
    for key, lookup, shift in (("since", "at__gte", 0), ("until", "at__lt", 1)):
        if q.get(key):
            try:
                day = dt.date.fromisoformat(q[key])
            except ValueError:
                errors.append(f"{key.capitalize()} must be a date like 2026-11-23.")
                continue
            start = dt.datetime.combine(day + dt.timedelta(days=shift), dt.time.min, tzinfo=dt.UTC)
            qs = qs.filter(**{lookup: start})
    return qs, errors


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_view_audit(request.user))
    qs, errors = _filtered(request)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    # Case values only for those who may read the record (audit/redaction.py).
    page.object_list = redaction.apply(request.user, page.object_list)
    # Who looked at the trail, and for what, is itself part of the trail.
    audit_actions.do_view_list(
        AuditEvent,
        [e.pk for e in page.object_list],
        actor=request.user,
        action="audit.view",
        filters={k: v[:100] for k, v in request.GET.items()},
        summary=f"filters: {request.GET.urlencode()[:250]}",
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {
            "page": page,
            "errors": errors,
            "q": request.GET,
            "params": params.urlencode(),
            "outcomes": Outcome.choices,
            "actions": queries.action_choices(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    access.require(access.can_view_audit(request.user))
    qs, errors = _filtered(request)
    if errors:
        return HttpResponse(" ".join(errors), status=400, content_type="text/plain")
    record(
        "audit.export",
        actor=request.user,
        object_type="audit.auditevent",
        summary=f"CSV export ({qs.count()} events) filters: {request.GET.urlencode()[:200]}",
    )
    writer = csv.writer(_Echo())
    header = [
        "id",
        "at",
        "user",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "source_ip",
        "request_id",
        "summary",
        "changes",
        "hash",
    ]

    def events():
        chunk = []
        for e in qs.order_by("id").iterator(chunk_size=2000):
            chunk.append(e)
            if len(chunk) == 2000:
                yield from redaction.apply(request.user, chunk)
                chunk = []
        yield from redaction.apply(request.user, chunk)

    def rows():
        yield writer.writerow(header)
        for e in events():
            yield writer.writerow(
                safe_row(
                    [
                        e.id,
                        e.at.isoformat(),
                        e.actor_username,
                        e.action,
                        e.object_type,
                        e.object_id,
                        e.outcome,
                        e.source_ip or "",
                        e.request_id,
                        e.shown_summary,
                        json.dumps(e.shown_changes, sort_keys=True) if e.changes else "",
                        e.hash,
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="vigil-audit.csv"'
    return response
