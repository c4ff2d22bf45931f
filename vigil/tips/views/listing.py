"""The priority queue, its export and the dashboard panel."""

from __future__ import annotations

import csv

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.dashboard import Panel
from vigil.lib.csvsafe import safe_row
from vigil.tips.models import ImportJob, Source, Tip
from vigil.tips.queue import filter_queue


def _filtered(request: HttpRequest):
    qs = Tip.objects.for_user(request.user).select_related("source", "assigned_to")
    return filter_queue(qs, request.GET, request.user)


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    qs, f = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    writable = set(
        Tip.objects.for_user(request.user, access.WRITE)
        .filter(pk__in=[t.pk for t in page])
        .values_list("pk", flat=True)
    )
    manager = access.is_manager(request.user)
    can_select = access.can_create(request.user)
    audit_actions.do_view_list(
        Tip,
        [t.pk for t in page],
        actor=request.user,
        action="tip.list",
        filters=f,
        page=page.number,
    )
    rows = [
        {
            "t": t,
            "can_write": t.pk in writable,
            "is_manager": manager,
            "can_take": access.can_take_tip(request.user, t, seen=True),
            "can_select": can_select,
        }
        for t in page
    ]
    # The import batch the queue is filtered by: its name for its creator (or a Manager).
    batch = None
    if f["batch"]:
        batch = ImportJob.objects.for_user(request.user, access.WRITE).filter(pk=f["batch"]).first()
    return render(
        request,
        "tips/queue.html",
        {
            "rows": rows,
            "page": page,
            "f": f,
            "query": request.GET.urlencode(),
            "statuses": Tip.Status.choices,
            "priorities": Tip.Priority.choices,
            "sources": Source.objects.all(),
            "assignable": get_user_model().objects.assignable(),
            "triage_choices": [c for c in Tip.Status.choices if c[0] != Tip.Status.NEW],
            "can_create": can_select,
            "is_manager": manager,
            "batch": batch,
            "filter_fields": [(k, v) for k, v in f.items() if v],
        },
    )


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The filtered queue as CSV; every cell escaped against spreadsheet formulas."""
    access.require(access.can_read_data(request.user))
    qs, f = _filtered(request)
    as_xlsx = request.GET.get("format") == "xlsx"
    header = [
        "id",
        "source",
        "reference",
        "received_at",
        "status",
        "priority",
        "assigned_to",
        "narrative",
        "selectors",
    ]

    def selectors(t) -> str:
        # Normalised values (SSN/card masked, never the keyed hash); unconfirmed ones marked.
        return "; ".join(
            f"{s.type}:{s.masked or s.value}" + ("" if s.confirmed else " (unconfirmed)")
            for s in t.selectors.all()
        )

    ids: list[int] = []

    def rows():
        for t in qs.prefetch_related("selectors").iterator(chunk_size=500):
            ids.append(t.pk)
            yield safe_row(
                [
                    t.pk,
                    t.source.name,
                    t.source_reference,
                    t.received_at.isoformat(),
                    t.status,
                    t.priority,
                    t.assigned_to.username if t.assigned_to else "",
                    t.narrative,
                    selectors(t),
                ]
            )

    count = 0
    if as_xlsx:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Tips")
        ws.append(header)
        for row in rows():
            ws.append(row)
            count += 1
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="tips.xlsx"'
        wb.save(response)
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tips.csv"'
        writer = csv.writer(response)
        writer.writerow(header)
        for row in rows():
            writer.writerow(row)
            count += 1
    audit_actions.do_view_list(
        Tip,
        ids,
        actor=request.user,
        action="tip.export",
        filters=f,
        rows=count,
        summary=f"{count} tips exported as {'XLSX' if as_xlsx else 'CSV'}",
    )
    return response


# Dashboard counts stop at this many: "1,000+" is as useful as 612,408 and costs a bounded
# index range scan instead of a count over a million tips (bench/bench_pages.py).
DASHBOARD_COUNT_CAP = 1000


def _capped(qs) -> tuple[int, bool]:
    n = qs.order_by()[: DASHBOARD_COUNT_CAP + 1].count()
    return min(n, DASHBOARD_COUNT_CAP), n > DASHBOARD_COUNT_CAP


def dashboard_panel(request: HttpRequest):
    """'My tips' on the dashboard: open tips assigned to me by priority, most urgent first."""
    user = request.user
    if not access.can_read_data(user):
        return None
    # A Read-only user has no tips of their own: the panel shows the open queue instead.
    takes_tips = access.can_create(user)
    mine = Tip.objects.for_user(user).open()
    mine = mine.filter(assigned_to=user) if takes_tips else mine
    unassigned = _capped(Tip.objects.for_user(user).open().filter(assigned_to__isnull=True))
    if takes_tips:
        # One's own open tips: a caseload, counted exactly through the assignee's index.
        counts = dict(mine.order_by().values_list("priority").annotate(n=Count("id")))
        capped = {value: (n, False) for value, n in counts.items()}
    else:
        # The whole open queue: one bounded count per priority (the queue's index).
        capped = {value: _capped(mine.filter(priority=value)) for value in Tip.Priority.values}
    by_priority = [
        (value, label, *capped[value])
        for value, label in Tip.Priority.choices
        if capped.get(value, (0,))[0]
    ]
    return Panel(
        title="My open tips" if takes_tips else "Open tips",
        template="tips/_dashboard.html",
        context={
            "items": list(mine.queue().select_related("source")[:10]),
            "count": sum(row[2] for row in by_priority),
            "more": any(row[3] for row in by_priority),
            "by_priority": by_priority,
            "unassigned": unassigned[0],
            "unassigned_more": unassigned[1],
            "mine": takes_tips,
        },
        order=10,
    )
