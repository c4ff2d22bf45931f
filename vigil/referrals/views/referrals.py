"""Referral pages and steps, the packet, the tip page panel and jurisdiction, the dashboard
panel."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.dashboard import Panel
from vigil.referrals import actions, jurisdiction, packet
from vigil.referrals.forms import ReferralEditForm, ReferralForm
from vigil.referrals.models import Disclosure, FollowUp, Office, Referral
from vigil.referrals.views.common import _can_write_tip, _errors, _no_store, _referral, _tip
from vigil.tips.models import Tip


@login_required
@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    qs = Referral.objects.for_user(request.user).select_related(
        "office", "tip__source", "tip__assigned_to"
    )
    status = request.GET.get("status", "")
    if status in Referral.Status.values:
        qs = qs.filter(status=status)
    if request.GET.get("overdue"):
        qs = qs.filter(status=Referral.Status.SENT, acknowledge_by__lt=timezone.localdate())
    if request.GET.get("mine"):
        qs = qs.filter(Q(tip__assigned_to=request.user) | Q(created_by=request.user))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    audit_actions.do_view_list(
        Referral,
        [r.pk for r in page],
        actor=request.user,
        action="referral.list",
        filters={
            "status": status,
            "overdue": request.GET.get("overdue"),
            "mine": request.GET.get("mine"),
            "page": page.number,
        },
    )
    return render(
        request,
        "referrals/list.html",
        {"page": page, "status": status, "statuses": Referral.Status.choices},
    )


def _suggestion_for(request: HttpRequest, tip: Tip, scope: str):
    ids = actions.cluster_ids(tip) if scope == "cluster" else {tip.pk}
    tips = list(Tip.objects.filter(pk__in=ids))
    suggestion = jurisdiction.suggest(tips)
    # The evidence shows the tips' selectors (addresses, phones; the cluster's other tips'
    # too): one read row naming the tips.
    audit_actions.do_view_list(
        Tip,
        sorted(ids),
        actor=request.user,
        action="referral.jurisdiction",
        filters={"tip": tip.pk, "scope": scope},
    )
    return suggestion, len(ids)


@login_required
def referral_create(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = _tip(request, tip_id, access.WRITE)
    scope = request.POST.get("scope") or request.GET.get("scope") or "tip"
    scope = scope if scope in Referral.Scope.values else "tip"
    proposal = actions.proposal_for(tip)
    initial: dict = {"scope": scope}
    if proposal is not None:
        initial.update(office=proposal.office, receiving_case_number=proposal.receiving_case_number)
    suggestion, size = _suggestion_for(request, tip, scope)
    if proposal is None and suggestion.office is not None:
        initial["office"] = suggestion.office
    if request.GET.get("office", "").isdigit():
        initial["office"] = Office.objects.active().filter(pk=int(request.GET["office"])).first()
    form = ReferralForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = actions.do_create_referral(tip, actor=request.user, **data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, f"Referral #{referral.pk} drafted; send it when ready.")
            return redirect("referrals-detail", referral.pk)
    earlier = actions.earlier_referrals(tip)
    return render(
        request,
        "referrals/create.html",
        {
            "tip": tip,
            "form": form,
            "scope": scope,
            "size": size,
            "proposal": proposal,
            "earlier": earlier,
            "suggestion": suggestion,
            "refer_links": True,
        },
    )


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral(request, pk)
    if request.method != "POST":
        audit_actions.do_view(referral, actor=request.user, action="referral.view")
    can_write = access.can(request.user, access.WRITE, referral)
    initial = {k: getattr(referral, k) for k in ("receiving_case_number", "acknowledge_by", "note")}
    form = ReferralEditForm(request.POST or None, initial=initial)
    if request.method == "POST":
        referral = _referral(request, pk, access.WRITE)
        if form.is_valid():
            try:
                actions.do_update_referral(referral, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, "Saved.")
                return redirect("referrals-detail", pk)
    tips = list(
        Tip.objects.filter(referral_memberships__referral=referral)
        .select_related("source", "assigned_to")
        .order_by("received_at")
    )
    return render(
        request,
        "referrals/detail.html",
        {
            "r": referral,
            "form": form,
            "tips": tips,
            "can_write": can_write,
            "can_delete": access.can_delete(request.user),
            "can_share": access.can_share(request.user),
            "follow_ups": referral.follow_ups.select_related("recorded_by", "answered_by"),
            "disclosures": Disclosure.objects.about("referral", referral.pk)[:20],
        },
    )


def _step(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:
    referral = _referral(request, pk, access.WRITE)
    try:
        run(referral)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("referrals-detail", pk)


@login_required
@require_POST
def referral_send(request: HttpRequest, pk: int) -> HttpResponse:
    method = request.POST.get("method", "")
    return _step(
        request,
        pk,
        lambda r: actions.do_send_referral(r, actor=request.user, method=method),
        "Sent. The disclosure is in the accounting.",
    )


@login_required
@require_POST
def referral_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda r: actions.do_acknowledge_referral(r, actor=request.user),
        "Acknowledged.",
    )


@login_required
@require_POST
def referral_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    number = request.POST.get("case_number", "")
    return _step(
        request,
        pk,
        lambda r: actions.do_open_case(r, actor=request.user, case_number=number),
        "Case opened.",
    )


@login_required
@require_POST
def referral_decline(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _step(
        request,
        pk,
        lambda r: actions.do_decline_referral(r, actor=request.user, reason=reason),
        "Recorded as declined.",
    )


@login_required
@require_POST
def referral_delete(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral(request, pk, access.DELETE)
    tip_id = referral.tip_id
    try:
        actions.do_delete_referral(referral, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("referrals-detail", pk)
    messages.success(request, "Draft deleted.")
    return redirect("tips-detail", tip_id)


@login_required
@require_POST
def referral_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    text = request.POST.get("request", "")
    return _step(
        request,
        pk,
        lambda r: actions.do_record_follow_up(r, actor=request.user, request=text),
        "Follow-up request recorded; the analyst is notified.",
    )


@login_required
@require_POST
def follow_up_answer(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = access.get_for_user(FollowUp, request.user, pk, access.WRITE)
    try:
        actions.do_answer_follow_up(
            follow_up, actor=request.user, answer=request.POST.get("answer", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Answer recorded.")
    return redirect("referrals-detail", follow_up.referral_id)


@login_required
@require_GET
def packet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral(request, pk)
    actions.do_view_packet(referral, actor=request.user, fmt="pdf")
    data = packet.render_pdf(packet.context_for_referral(referral, actor=request.user))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="referral-{referral.pk}-packet.pdf"'
    return _no_store(response)


@login_required
@require_GET
def packet_json(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral(request, pk)
    actions.do_view_packet(referral, actor=request.user, fmt="json")
    data = packet.build_json(packet.context_for_referral(referral, actor=request.user))
    response = HttpResponse(
        json.dumps(data, indent=2, default=str), content_type="application/json"
    )
    response["Content-Disposition"] = f'inline; filename="referral-{referral.pk}-packet.json"'
    return _no_store(response)


# --- tip page panel and jurisdiction ---------------------------------------------------------


def _tip_context(request: HttpRequest, tip: Tip) -> dict:
    suggestion = jurisdiction.suggest([tip])
    can_refer = _can_write_tip(request.user, tip)
    referrals = list(Referral.objects.filter(members__tip=tip).select_related("office").distinct())
    # The panel shows the tip's referrals (office, status): one read row naming them.
    audit_actions.do_view_list(
        Referral,
        [r.pk for r in referrals],
        actor=request.user,
        action="referral.list",
        filters={"tip": tip.pk},
    )
    return {
        "tip": tip,
        "referrals": referrals,
        "proposal": actions.proposal_for(tip),
        "suggestion": suggestion,
        "can_refer": can_refer,
        "refer_links": can_refer,
        "can_share": access.can_share(request.user) and can_refer,
        "disclosure_count": Disclosure.objects.about("tip", tip.pk).count(),
    }


@login_required
@require_GET
def tip_panel(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = _tip(request, tip_id)
    return render(request, "referrals/_tip_panel.html", _tip_context(request, tip))


@login_required
@require_GET
def tip_jurisdiction(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = _tip(request, tip_id)
    scope = request.GET.get("scope", "tip")
    suggestion, size = _suggestion_for(request, tip, scope)
    return render(
        request,
        "referrals/jurisdiction.html",
        {"tip": tip, "suggestion": suggestion, "scope": scope, "size": size},
    )


# --- dashboard ---------------------------------------------------------------------------------


def dashboard_panel(request: HttpRequest) -> Panel | None:
    user = request.user
    if not access.can_create(user):  # a Read-only user has no referrals of their own
        return None
    waiting = Referral.objects.awaiting_acknowledgement().select_related("office", "tip__source")
    if not access.is_manager(user):
        waiting = waiting.filter(Q(tip__assigned_to=user) | Q(created_by=user))
    items = list(waiting.order_by("acknowledge_by", "sent_at")[:10])
    return Panel(
        title="Referrals awaiting acknowledgement",
        template="referrals/_dashboard.html",
        context={
            "count": waiting.count(),
            "items": items,
            "overdue": waiting.filter(acknowledge_by__lt=timezone.localdate()).count(),
            "list_url": reverse("referrals-list") + "?status=sent",
        },
        order=30,
    )
