"""Partner pages (Managers change, every data role reads), VICS import/export, conflicts."""

from __future__ import annotations

import datetime as dt
import os
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigil.accounts import access
from vigil.exchange import actions, keys, rules
from vigil.exchange.forms import (
    DecideForm,
    ExportForm,
    ImportForm,
    PartnerForm,
    StatusForm,
    SyncForm,
    TokenForm,
)
from vigil.exchange.models import Conflict, ImportJob, Partner, Transfer


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_GET
def partner_list(request: HttpRequest) -> HttpResponse:
    access.require(rules.can_read(request.user))
    return render(
        request,
        "exchange/partner_list.html",
        {
            "partners": Partner.objects.for_user(request.user),
            "can_manage": rules.can_manage_partners(request.user),
            "can_import": rules.can_import(request.user),
            "can_export": rules.can_export(request.user),
            "open_conflicts": Conflict.objects.open().count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_create(request: HttpRequest) -> HttpResponse:
    access.require(rules.can_manage_partners(request.user))
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = actions.do_create_partner(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Partner {partner.name} proposed. A Manager approves it.")
            return redirect("exchange-partner-detail", partner.pk)
    return render(request, "exchange/partner_form.html", {"form": form, "partner": None})


@login_required
@require_GET
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    partner = access.get_for_user(Partner, request.user, pk)
    manage = rules.can_manage_partners(request.user)
    return render(
        request,
        "exchange/partner_detail.html",
        {
            "partner": partner,
            "can_manage": manage,
            "tokens": partner.tokens.all() if manage else [],
            "transfers": partner.transfers.all()[:20],
            "conflicts": partner.conflicts.open()[:20],
            "status_form": StatusForm(),
            "token_form": TokenForm(),
            "sync_form": SyncForm(initial={"sync_url": partner.sync_url}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partner = access.get_for_user(Partner, request.user, pk, access.WRITE)
    form = PartnerForm(request.POST or None, instance=Partner.objects.get(pk=partner.pk))
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_partner(partner, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Partner saved.")
            return redirect("exchange-partner-detail", partner.pk)
    return render(request, "exchange/partner_form.html", {"form": form, "partner": partner})


@login_required
@require_POST
def partner_status(request: HttpRequest, pk: int) -> HttpResponse:
    partner = access.get_for_user(Partner, request.user, pk, access.WRITE)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or suspend.")
        return redirect("exchange-partner-detail", partner.pk)
    try:
        partner = actions.do_set_partner_status(
            partner,
            actor=request.user,
            verb=form.cleaned_data["verb"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"{partner.name} is now {partner.get_status_display().lower()}.")
    return redirect("exchange-partner-detail", partner.pk)


@login_required
@require_POST
def token_issue(request: HttpRequest, pk: int) -> HttpResponse:
    partner = access.get_for_user(Partner, request.user, pk, access.WRITE)
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A token lasts between 1 and 366 days.")
        return redirect("exchange-partner-detail", partner.pk)
    token, secret = actions.do_issue_token(
        partner,
        actor=request.user,
        label=form.cleaned_data["label"],
        days=form.cleaned_data["days"],
    )
    return _no_store(
        render(
            request,
            "exchange/token_shown.html",
            {"partner": partner, "token": token, "secret": secret},
        )
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    partner = access.get_for_user(Partner, request.user, pk, access.WRITE)
    token = actions.token_for_view(partner, token_pk)
    actions.do_revoke_token(token, actor=request.user)
    messages.success(request, f"Token {token.key_id} revoked: the next request with it is refused.")
    return redirect("exchange-partner-detail", partner.pk)


@login_required
@require_POST
def partner_sync(request: HttpRequest, pk: int) -> HttpResponse:
    partner = access.get_for_user(Partner, request.user, pk, access.WRITE)
    form = SyncForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a valid address (https://…).")
        return redirect("exchange-partner-detail", partner.pk)
    try:
        actions.do_set_sync_credentials(
            partner,
            actor=request.user,
            url=form.cleaned_data["sync_url"],
            token=form.cleaned_data["token"],
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Sync settings saved.")
    return redirect("exchange-partner-detail", partner.pk)


@login_required
@require_GET
def identity(request: HttpRequest) -> HttpResponse:
    access.require(rules.can_manage_partners(request.user))
    return render(request, "exchange/identity.html", {"identity": keys.identity()})


@login_required
@require_http_methods(["GET", "POST"])
def vics_import(request: HttpRequest) -> HttpResponse:
    """Upload: the file is stored sealed and imported by a background task (exchange.tasks)."""
    access.require(rules.can_import(request.user))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = actions.do_queue_vics_import(
                form.cleaned_data["file"], actor=request.user, partner=form.cleaned_data["partner"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("exchange-import-detail", job.pk)
    jobs = ImportJob.objects.for_user(request.user, access.WRITE).select_related("partner")[:20]
    status = 400 if request.method == "POST" else 200
    return render(request, "exchange/import.html", {"form": form, "jobs": jobs}, status=status)


def _job(request: HttpRequest, pk: int) -> ImportJob:
    access.require(rules.can_import(request.user))
    job = access.get_for_user(ImportJob, request.user, pk)
    if not ImportJob.objects.for_user(request.user, access.WRITE).filter(pk=job.pk).exists():
        raise PermissionDenied
    return job


@login_required
@require_GET
def vics_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "exchange/import_detail.html", {"job": _job(request, pk)})


@login_required
@require_GET
def vics_import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "exchange/_import_progress.html", {"job": _job(request, pk)})


@login_required
@require_http_methods(["GET", "POST"])
def vics_export(request: HttpRequest) -> HttpResponse:
    access.require(rules.can_export(request.user))
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"]
        since = form.cleaned_data["since"]
        since_dt = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
        fd, path = tempfile.mkstemp(prefix="vics-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                actions.do_export_vics(
                    fh,
                    actor=request.user,
                    partner=partner,
                    version=form.cleaned_data["version"],
                    since=since_dt,
                )
        except ValidationError as exc:
            os.unlink(path)
            form.add_error(None, exc)
        else:
            fh = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
            os.unlink(path)  # the open handle keeps the data until the response is sent
            name = f"vics-{partner.name if partner else 'export'}-{dt.date.today():%Y%m%d}.json"
            return _no_store(
                FileResponse(fh, as_attachment=True, filename=name, content_type="application/json")
            )
    status = 400 if request.method == "POST" else 200
    return render(request, "exchange/export.html", {"form": form}, status=status)


@login_required
@require_GET
def transfer_list(request: HttpRequest) -> HttpResponse:
    access.require(rules.can_read(request.user))
    page = Paginator(Transfer.objects.select_related("partner"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "exchange/transfer_list.html", {"page": page})


@login_required
@require_GET
def conflict_list(request: HttpRequest) -> HttpResponse:
    access.require(rules.can_read(request.user))
    show = request.GET.get("show", "open")
    qs = Conflict.objects.for_user(request.user).select_related("partner", "decided_by")
    if show == "open":
        qs = qs.open()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "exchange/conflict_list.html",
        {
            "page": page,
            "show": show,
            "can_decide": rules.can_decide_conflicts(request.user),
            "form": DecideForm(),
        },
    )


@login_required
@require_POST
def conflict_decide(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = access.get_for_user(Conflict, request.user, pk, access.WRITE)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose keep ours or take the partner's.")
        return redirect("exchange-conflict-list")
    try:
        actions.do_decide_conflict(
            conflict,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied:
        raise
    else:
        messages.success(request, "Decision recorded.")
    return redirect("exchange-conflict-list")
