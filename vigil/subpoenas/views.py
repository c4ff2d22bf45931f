from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.dashboard import Panel
from vigil.lib.text import count
from vigil.lookups.models import Provider
from vigil.lookups.views import tip_lookups
from vigil.subpoenas import actions, document
from vigil.subpoenas.actions import IDENTIFIER_TYPES
from vigil.subpoenas.models import Category, Subpoena
from vigil.tips.models import Selector, Tip

ZONES = [
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
]


def _tip(request: HttpRequest, tip_id: int, action: access.Action = access.READ) -> Tip:
    return access.get_for_user(Tip.objects.select_related("source"), request.user, tip_id, action)


def _subpoena(request: HttpRequest, pk: int, action: access.Action = access.READ) -> Subpoena:
    return access.get_for_user(
        Subpoena.objects.select_related("tip", "provider", "parent"), request.user, pk, action
    )


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _date(text: str, name: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{name} must be a date written YYYY-MM-DD, not {text!r}.") from None


def _proposed(tip: Tip, identifiers: list[Selector]) -> Provider | None:
    data = tip_lookups(tip)
    for row in data["ip_rows"] + data["other_rows"]:
        if row["provider"] is not None:
            return row["provider"]
    return None


@login_required
@require_GET
def tip_panel(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = _tip(request, tip_id)
    subs = list(tip.subpoenas.select_related("provider", "parent").order_by("drafted_at", "id"))
    # The panel shows the tip's subpoenas (provider, identifiers, status): one read row.
    audit_actions.do_view_list(
        Subpoena,
        [s.pk for s in subs],
        actor=request.user,
        action="subpoena.list",
        filters={"tip": tip.pk},
    )
    ctx = {"tip": tip, "subpoenas": subs, "can_write": actions.can_write(request.user, tip)}
    if ctx["can_write"]:
        idents = [s for s in tip.selectors.all() if s.type in IDENTIFIER_TYPES]
        ctx.update(
            identifiers=idents,
            providers=Provider.objects.filter(active=True),
            proposed=_proposed(tip, idents),
            categories=Category.choices,
            zones=ZONES,
        )
    return render(request, "subpoenas/_panel.html", ctx)


@login_required
@require_POST
def draft(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = _tip(request, tip_id, access.WRITE)
    try:
        provider = Provider.objects.filter(pk=int(request.POST.get("provider") or 0)).first()
        if provider is None:
            raise ValidationError("Pick the provider the subpoena goes to.")
        sub = actions.do_draft_subpoena(
            tip,
            actor=request.user,
            provider=provider,
            selector_ids=[int(x) for x in request.POST.getlist("identifiers") if x.isdigit()],
            categories=request.POST.getlist("categories"),
            time_zone=request.POST.get("time_zone", "UTC"),
            due_date=_date(request.POST.get("due_date", ""), "Due date"),
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(reverse("tips-detail", args=[tip.pk]) + "#subpoenas")
    messages.success(request, f"Drafted {sub.reference}.")
    return redirect("subpoenas-detail", pk=sub.pk)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subpoena(request, pk)
    audit_actions.do_view(sub, actor=request.user, action="subpoena.view", summary=sub.reference)
    return render(
        request,
        "subpoenas/detail.html",
        {
            "s": sub,
            "identifiers": sub.identifiers.all(),
            "responses": sub.responses.all(),
            "chain": sub.chain(),
            "can_write": actions.can_write(request.user, sub),
            "is_manager": access.is_manager(request.user),
            "methods": Subpoena.Method.choices,
            "outcomes": Subpoena.Outcome.choices,
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
@require_GET
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subpoena(request, pk, access.WRITE)
    data = actions.render_subpoena(sub, actor=request.user)
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{sub.reference}.pdf"'
    resp["Cache-Control"] = "no-store"
    return resp


def _step(
    request: HttpRequest, pk: int, fn, ok: str, action: access.Action = access.WRITE
) -> HttpResponse:
    sub = _subpoena(request, pk, action)
    try:
        fn(sub)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, ok.format(ref=sub.reference))
    return redirect("subpoenas-detail", pk=sub.pk)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subpoena(request, pk)
    if not access.is_manager(request.user):
        raise PermissionDenied
    return _step(
        request,
        sub.pk,
        lambda s: actions.do_approve_subpoena(s, actor=request.user),
        "Approved {ref}.",
        access.READ,
    )


@login_required
@require_POST
def serve(request: HttpRequest, pk: int) -> HttpResponse:
    def go(s: Subpoena) -> None:
        actions.do_serve_subpoena(
            s,
            actor=request.user,
            method=request.POST.get("method", ""),
            served_on=_date(request.POST.get("served_on", ""), "Service date"),
            due_date=_date(request.POST.get("due_date", ""), "Due date"),
        )

    return _step(request, pk, go, "Marked {ref} served.")


@login_required
@require_POST
def respond(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subpoena(request, pk, access.WRITE)
    p = request.POST
    try:
        fields = {
            "subscriber_name": p.get("subscriber_name", ""),
            "address": p.get("address", ""),
            "phones": p.get("phones", ""),
            "emails": p.get("emails", ""),
            "account_ids": p.get("account_ids", ""),
            "payment": p.get("payment", ""),
            "sessions": p.get("sessions", ""),
        }
        upload = request.FILES.get("csv")
        if upload is not None:
            # One byte over the limit: parse_response_csv refuses it whole, never a cut-off row.
            parsed = actions.parse_response_csv(upload.read(actions.MAX_RESPONSE_CSV + 1))
            for k, v in parsed.items():
                if v:
                    fields[k] = v
        result = actions.do_record_response(
            sub,
            actor=request.user,
            outcome=p.get("outcome", ""),
            not_customer_entity=p.get("entity", ""),
            **fields,
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("subpoenas-detail", pk=sub.pk)
    text = (
        f"Recorded the response to {sub.reference}: {count(result['selectors'], 'selector')} "
        f"added to the tip, {count(result['flags'], 'flag')} raised."
    )
    if result["contradiction"]:
        messages.warning(
            request, f"This response contradicts what is known: {result['contradiction']}"
        )
    if result["chained"] is not None:
        messages.success(
            request, f"Drafted {result['chained'].reference} to {result['chained'].provider.name}."
        )
        return redirect("subpoenas-detail", pk=result["chained"].pk)
    messages.success(request, text)
    return redirect("subpoenas-detail", pk=sub.pk)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request, pk, lambda s: actions.do_close_subpoena(s, actor=request.user), "Closed {ref}."
    )


@login_required
@require_POST
def contradiction(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda s: actions.do_mark_contradiction(
            s, request.POST.get("note", ""), actor=request.user
        ),
        "Saved.",
    )


@login_required
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    def go(s: Subpoena) -> None:
        upload = request.FILES.get("document")
        if upload is None:
            raise ValidationError("Choose the response document.")
        actions.do_attach_response_document(s, upload, actor=request.user)

    return _step(request, pk, go, "Attached the response document (sealed).")


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subpoena(request, pk, access.WRITE)
    try:
        data = actions.open_response_document(sub, actor=request.user)
    except ValidationError:
        from django.http import Http404

        raise Http404 from None
    resp = HttpResponse(data, content_type="application/octet-stream")
    resp["Content-Disposition"] = f'attachment; filename="{sub.reference}-response"'
    resp["Cache-Control"] = "no-store"
    return resp


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if not access.can_read_data(request.user):
        raise PermissionDenied
    qs = Subpoena.objects.for_user(request.user).select_related("tip", "provider")
    status = request.GET.get("status", "")
    if request.GET.get("overdue") == "1":
        qs = qs.overdue()
    elif status in Subpoena.Status.values:
        qs = qs.filter(status=status)
    elif not status:
        qs = qs.open()
    if request.GET.get("mine") == "1":
        qs = qs.filter(Q(tip__assigned_to=request.user) | Q(drafted_by=request.user))
    page = Paginator(qs.order_by("due_date", "drafted_at"), 50).get_page(request.GET.get("page"))
    audit_actions.do_view_list(
        Subpoena,
        [s.pk for s in page],
        actor=request.user,
        action="subpoena.queue_view",
        filters={
            "status": status,
            "overdue": request.GET.get("overdue"),
            "mine": request.GET.get("mine"),
            "page": page.number,
        },
    )
    return render(
        request,
        "subpoenas/queue.html",
        {
            "page": page,
            "status": status,
            "statuses": Subpoena.Status.choices,
            "overdue": request.GET.get("overdue") == "1",
            "overdue_count": Subpoena.objects.for_user(request.user).overdue().count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest) -> HttpResponse:
    if not access.is_manager(request.user):
        raise PermissionDenied
    tpl = document.current_template()
    values = {
        "body": tpl.body,
        "issuing_office": tpl.issuing_office,
        "return_instructions": tpl.return_instructions,
    }
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        if request.POST.get("preview") == "1":
            try:
                data = actions.preview_template(actor=request.user, body=values["body"])
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                resp = HttpResponse(data, content_type="application/pdf")
                resp["Content-Disposition"] = 'inline; filename="subpoena-preview.pdf"'
                resp["Cache-Control"] = "no-store"
                return resp
        else:
            try:
                actions.do_update_template(actor=request.user, **values)
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, "Saved the subpoena template.")
                return redirect("subpoenas-template")
    return render(request, "subpoenas/template.html", {"v": values, "tpl": tpl})


def dashboard_panel(request: HttpRequest) -> Panel | None:
    user = request.user
    if not access.can_create(user):  # a Read-only user has no subpoenas of their own
        return None
    mine = Subpoena.objects.filter(Q(tip__assigned_to=user) | Q(drafted_by=user))
    overdue = mine.overdue().select_related("provider")
    ctx = {
        "overdue": list(overdue[:10]),
        "overdue_count": overdue.count(),
        "awaiting_approval": (
            Subpoena.objects.filter(status=Subpoena.Status.DRAFTED).count()
            if access.is_manager(user)
            else None
        ),
        "all_overdue": Subpoena.objects.overdue().count() if access.is_manager(user) else None,
        "served": mine.filter(status=Subpoena.Status.SERVED).count(),
    }
    return Panel(title="Subpoenas", template="subpoenas/_dashboard.html", context=ctx, order=30)
