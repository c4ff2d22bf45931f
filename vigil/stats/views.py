"""The statistics page (Managers): charts, a table under each, filters, CSV and XLSX export."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vigil.accounts import access
from vigil.audit.log import record
from vigil.core.dashboard import Panel
from vigil.core.replica import read_from_replica
from vigil.lib.csvsafe import safe_row
from vigil.stats import registry, tables


def _query(request: HttpRequest) -> tuple[registry.Period, list[str], list[str]]:
    """The period and sections asked for, and the errors in what was asked."""
    default = registry.Period.last_months(12)
    errors: list[str] = []
    q = request.GET
    first, last = default.first, default.last
    for name, label in (("from", "From"), ("to", "To")):
        if q.get(name):
            try:
                month = registry.parse_month(q[name], name=label)
            except registry.PeriodError as exc:
                errors.append(str(exc) + ".")
                continue
            if name == "from":
                first = month
            else:
                last = month
    if q.get("from") and not q.get("to") and first > last:
        last = first
    try:
        period = registry.Period(first, last)
    except registry.PeriodError as exc:
        errors.append(str(exc)[0].upper() + str(exc)[1:] + ".")
        period = default
    known = registry.sections()
    chosen = [s for s in q.getlist("section") if s]
    unknown = [s for s in chosen if s not in known]
    if unknown:
        errors.append(f"Unknown section: {', '.join(unknown)}.")
    return period, [s for s in chosen if s in known] or known, errors


def _keys(sections: list[str]) -> list[str]:
    return [f.key for f in registry.figures() if f.section in sections]


@login_required
@require_GET
@read_from_replica
def stats_page(request: HttpRequest) -> HttpResponse:
    access.require(access.is_manager(request.user))
    period, sections, errors = _query(request)
    context = {
        "errors": errors,
        "period": period,
        "all_sections": registry.sections(),
        "sections": sections,
        "q": request.GET,
        # What the month fields show: what was asked (even if wrong), else the period.
        "form_from": request.GET.get("from") or f"{period.first:%Y-%m}",
        "form_to": request.GET.get("to") or f"{period.last:%Y-%m}",
        "params": request.GET.urlencode(),
    }
    if errors:
        return render(request, "stats/page.html", context, status=400)
    report = registry.compute(period, keys=_keys(sections))
    grouped: dict[str, list[tables.Table]] = {}
    for t in tables.tables(report):
        grouped.setdefault(t.figure.section, []).append(t)
    record(
        "stats.view",
        actor=request.user,
        summary=f"statistics {period} ({', '.join(sections)})",
    )
    context["grouped"] = grouped
    return render(request, "stats/page.html", context)


@login_required
@require_GET
@read_from_replica
def stats_export(request: HttpRequest, fmt: str) -> HttpResponse:
    access.require(access.is_manager(request.user))
    period, sections, errors = _query(request)
    if errors:
        return HttpResponse(" ".join(errors), status=400, content_type="text/plain; charset=utf-8")
    report = registry.compute(period, keys=_keys(sections))
    header, rows = tables.wide_rows(report)
    name = f"vigil-statistics-{period.first:%Y-%m}-{period.last:%Y-%m}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Statistics")
        ws.append([f"Vigil statistics, {period} (UTC months; tips by received time)"])
        ws.append(header)
        for row in rows:
            ws.append(safe_row(row))
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        wb.save(response)
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        writer = csv.writer(response)
        writer.writerow(header)
        for row in rows:
            writer.writerow(safe_row(["" if v is None else v for v in row]))
    record(
        "stats.export",
        actor=request.user,
        changes={"period": str(period), "sections": sections, "format": fmt, "rows": len(rows)},
        summary=f"statistics {period} exported as {fmt.upper()}",
    )
    return response


def dashboard_panel(request: HttpRequest) -> Panel | None:
    """This month's figures, for Managers."""
    if not access.is_manager(request.user):
        return None
    period = registry.Period.last_months(1)
    keys = ["tips_received", "ip_addresses_received", "flags_raised", "flags_decided"]
    keys += ["subpoenas_issued", "referrals_sent", "cases_opened", "match_requests"]
    report = registry.compute(period, keys=keys)
    month = period.months[0]
    figures = [(f.label, report.results[f.key].by_month[month]) for f in report.figures]
    return Panel(
        title=f"This month ({month}, UTC)",
        template="stats/_dashboard.html",
        context={"figures": figures},
        order=15,
    )
