"""The accounting of disclosures: pages and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vigil.accounts import access
from vigil.lib.csvsafe import safe_row
from vigil.referrals import actions
from vigil.referrals.models import Disclosure, Office
from vigil.referrals.views.common import _no_store


def _disclosures(request: HttpRequest):
    """The filtered accounting and the filter, as the read row records it."""
    qs = Disclosure.objects.for_user(request.user).select_related("office")
    filters: dict = {}
    office = request.GET.get("office", "")
    if office.isdigit():
        qs = qs.filter(office_id=int(office))
        filters["office"] = int(office)
    recipient = request.GET.get("recipient", "").strip()
    if recipient:
        qs = qs.filter(recipient__icontains=recipient)
        filters["recipient"] = recipient[:60]
    kind, rid = request.GET.get("kind", "").strip(), request.GET.get("id", "").strip()
    if kind and rid:
        qs = qs.about(kind, rid)
        filters["record"] = f"{kind[:32]} {rid[:40]}"
    for name, lookup in (
        ("since", "disclosed_at__date__gte"),
        ("until", "disclosed_at__date__lte"),
    ):
        value = request.GET.get(name, "")
        if value:
            try:
                qs = qs.filter(**{lookup: dt.date.fromisoformat(value)})
            except ValueError:
                raise ValidationError(f"{name}: write the date as YYYY-MM-DD.") from None
            filters[name] = value
    return qs, filters


def _disclosure_page(request: HttpRequest, *, heading: str, extra: dict | None = None):
    access.require(access.can_read_data(request.user))
    try:
        qs, filters = _disclosures(request)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    actions.do_view_disclosures(
        actor=request.user, ids=[d.pk for d in page], filters={**filters, "page": page.number}
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "referrals/disclosures.html",
        {
            "page": page,
            "heading": heading,
            "query": query.urlencode(),
            "offices": Office.objects.all(),
            **(extra or {}),
        },
    )


@login_required
@require_GET
def disclosures(request: HttpRequest) -> HttpResponse:
    return _disclosure_page(request, heading="Accounting of disclosures")


@login_required
@require_GET
def disclosures_for_record(request: HttpRequest, kind: str, record_id: str) -> HttpResponse:
    request.GET = request.GET.copy()
    request.GET["kind"], request.GET["id"] = kind, record_id
    return _disclosure_page(
        request,
        heading=f"Disclosures of {kind} {record_id}",
        extra={"record_kind": kind, "record_id": record_id},
    )


@login_required
@require_GET
def disclosures_for_agency(request: HttpRequest, pk: int) -> HttpResponse:
    office = access.get_for_user(Office, request.user, pk)
    request.GET = request.GET.copy()
    request.GET["office"] = str(office.pk)
    return _disclosure_page(
        request, heading=f"Disclosures to {office.name}", extra={"agency": office}
    )


class _Echo:
    def write(self, value):
        return value


@login_required
@require_GET
def disclosures_csv(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    try:
        qs, filters = _disclosures(request)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    actions.do_view_disclosures(
        actor=request.user, ids=qs.values_list("pk", flat=True), filters=filters, export=True
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(
            ["disclosure_id", "disclosed_at_utc", "recipient", "office_code", "purpose",
             "method", "by", "records", "source"]
        )  # fmt: skip
        for d in qs.iterator(chunk_size=500):
            yield writer.writerow(
                safe_row(
                    [
                        d.pk,
                        d.disclosed_at.isoformat(),
                        d.recipient,
                        d.office.code if d.office else "",
                        d.purpose,
                        d.method,
                        d.actor_username,
                        "; ".join(f"{k} {r}" for k, r in d.records),
                        f"{d.source_type} {d.source_id}".strip(),
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="disclosures.csv"'
    return _no_store(response)
