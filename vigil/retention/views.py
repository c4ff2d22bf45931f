"""Pages of the records lifecycle: disposition, legal holds, corrections, access review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.dashboard import Panel
from vigil.core.holds import HeldError
from vigil.retention import actions, reviews, rules
from vigil.retention.models import (
    DELETABLE,
    AccessCertification,
    DeletionProposal,
    InaccuracyReport,
    Kind,
    LegalHold,
)
from vigil.tips.models import Tip


def _manager(request: HttpRequest) -> None:
    access.require(access.is_manager(request.user))


def _error(request: HttpRequest, exc: Exception) -> None:
    text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text or "You may not do that.")


# --- disposition ------------------------------------------------------------------------


def _label(kind: str, obj) -> str:
    if kind == Kind.TIP:
        return f"{obj.source_id and obj.source.name} {obj.source_reference}"
    if kind == Kind.SERIES:
        return obj.name
    return f"media #{obj.pk} ({obj.get_kind_display().lower()})"


@login_required
@require_GET
def disposition(request: HttpRequest) -> HttpResponse:
    _manager(request)
    kind = request.GET.get("kind") or Kind.TIP
    if kind not in DELETABLE:
        return render(
            request,
            "retention/disposition.html",
            {"error": f"Unknown kind {kind!r}.", "kinds": DELETABLE, "kind": Kind.TIP},
            status=400,
        )
    qs = rules.past_retention(kind).order_by("last_activity", "pk")
    if kind == Kind.TIP:
        qs = qs.select_related("source")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    ids = [o.pk for o in page]
    held = rules.held_ids(kind, ids)
    proposed = {
        p.object_id: p
        for p in DeletionProposal.objects.filter(kind=kind, object_id__in=ids, status="proposed")
    }
    rows = [
        {
            "obj": o,
            "label": _label(kind, o),
            "holds": held.get(o.pk, []),
            "proposal": proposed.get(o.pk),
        }
        for o in page
    ]
    audit_actions.do_view_list(
        qs.model,
        ids,
        actor=request.user,
        action="retention.disposition_view",
        filters={"kind": kind, "page": page.number},
        summary=f"{kind}: {page.paginator.count} past retention",
    )
    return render(
        request,
        "retention/disposition.html",
        {
            "kind": kind,
            "kinds": DELETABLE,
            "page": page,
            "rows": rows,
            "cutoff": rules.cutoff(),
            "years": rules.settings.RETENTION_YEARS,
            "proposals": DeletionProposal.objects.filter(status="proposed").select_related(
                "proposed_by"
            ),
            "second_manager": actions.second_manager_exists(request.user),
        },
    )


@login_required
@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    _manager(request)
    kind = request.POST.get("kind", "")
    try:
        actions.do_propose_deletion(
            kind,
            request.POST.get("object_id"),
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        _error(request, exc)
        return redirect(
            f"{_url('retention-disposition')}?kind={kind if kind in DELETABLE else 'tip'}"
        )
    messages.success(request, "Deletion proposed; a second Manager approves it.")
    return redirect(f"{_url('retention-disposition')}?kind={kind}")


def _proposal(pk: int) -> DeletionProposal:
    try:
        return DeletionProposal.objects.get(pk=pk)
    except DeletionProposal.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    proposal = _proposal(pk)
    try:
        actions.do_approve_deletion(proposal, actor=request.user, note=request.POST.get("note", ""))
    except HeldError as exc:
        _error(request, exc)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, f"{Kind(proposal.kind).label} #{proposal.object_id} deleted.")
    return redirect(f"{_url('retention-disposition')}?kind={proposal.kind}")


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    proposal = _proposal(pk)
    try:
        actions.do_reject_deletion(proposal, actor=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, "Proposal rejected.")
    return redirect(f"{_url('retention-disposition')}?kind={proposal.kind}")


def _url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


# --- legal holds ------------------------------------------------------------------------


@login_required
def holds(request: HttpRequest) -> HttpResponse:
    _manager(request)
    if request.method == "POST":
        try:
            hold = actions.do_place_hold(
                name=request.POST.get("name", ""),
                reason=request.POST.get("reason", ""),
                items=_items(request),
                actor=request.user,
            )
        except ValidationError as exc:
            _error(request, exc)
            return render(request, "retention/holds.html", _holds_context(request), status=400)
        messages.success(request, f"Legal hold {hold.name} placed.")
        return redirect("retention-hold", hold.pk)
    return render(request, "retention/holds.html", _holds_context(request))


def _items(request: HttpRequest) -> list[tuple[str, str]]:
    kind, ids = request.POST.get("kind", ""), request.POST.get("ids", "")
    return [(kind, part) for part in ids.replace(",", " ").split() if part]


def _holds_context(request: HttpRequest) -> dict:
    return {
        # The item count annotated: one query for the list, not one per hold.
        "holds": LegalHold.objects.select_related("placed_by").annotate(n_items=Count("items")),
        "kinds": Kind.choices,
        "v": request.POST,
    }


def _hold(pk: int) -> LegalHold:
    try:
        return LegalHold.objects.get(pk=pk)
    except LegalHold.DoesNotExist:
        raise Http404 from None


@login_required
def hold_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    hold = _hold(pk)
    if request.method == "POST":
        try:
            for kind, object_id in _items(request):
                actions.do_add_to_hold(hold, kind, object_id, actor=request.user)
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, "Added to the hold.")
        return redirect("retention-hold", hold.pk)
    return render(
        request,
        "retention/hold.html",
        {"hold": hold, "items": hold.items.select_related("added_by"), "kinds": Kind.choices},
    )


@login_required
@require_POST
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    hold = _hold(pk)
    try:
        actions.do_release_hold(hold, reason=request.POST.get("reason", ""), actor=request.user)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, f"Legal hold {hold.name} released.")
    return redirect("retention-hold", hold.pk)


# --- the tip page's panel and corrections -----------------------------------------------


def _tip(request: HttpRequest, pk: int, action=access.READ):
    # No role check first: a tip the user may not see is a 404 for every role.
    return access.get_for_user(Tip, request.user, pk, action)


@login_required
@require_GET
def tip_panel(request: HttpRequest, pk: int) -> HttpResponse:
    tip = _tip(request, pk)
    can_write = access.can(request.user, access.WRITE, tip)
    holds = rules.holds_on(Kind.TIP, tip.pk)
    reports = list(
        InaccuracyReport.objects.filter(tip=tip).select_related("recorded_by", "reviewed_by")
    )
    # The panel shows the tip's legal holds and reported inaccuracies: one read row.
    audit_actions.do_view_list(
        InaccuracyReport,
        [r.pk for r in reports],
        actor=request.user,
        action="correction.list",
        filters={"tip": tip.pk},
        holds=len(holds),
    )
    return render(
        request,
        "retention/_tip_panel.html",
        {
            "tip": tip,
            "holds": holds,
            "reports": reports,
            "can_report": can_write and access.can_create(request.user),
            "is_manager": access.is_manager(request.user),
        },
    )


@login_required
@require_POST
def report_inaccuracy(request: HttpRequest, pk: int) -> HttpResponse:
    tip = _tip(request, pk, access.WRITE)
    try:
        actions.do_report_inaccuracy(
            tip,
            reported_by=request.POST.get("reported_by", ""),
            what=request.POST.get("what", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, "Inaccuracy report recorded; a Manager reviews it.")
    return redirect("tips-detail", tip.pk)


@login_required
@require_GET
def corrections(request: HttpRequest) -> HttpResponse:
    _manager(request)
    reports = InaccuracyReport.objects.select_related("tip__source", "recorded_by", "reviewed_by")
    status = request.GET.get("status", "open")
    if status != "all":
        reports = reports.filter(status=status)
    return render(
        request,
        "retention/corrections.html",
        {"reports": reports[:200], "status": status, "statuses": InaccuracyReport.Status.choices},
    )


@login_required
def correction_review(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    try:
        report = InaccuracyReport.objects.select_related("tip__source").get(pk=pk)
    except InaccuracyReport.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        ids = []
        for value in request.POST.getlist("remove"):
            try:
                ids.append(int(value))
            except ValueError:
                pass
        narrative = request.POST.get("narrative")
        try:
            actions.do_review_inaccuracy(
                report,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
                narrative=narrative if request.POST.get("outcome") == "corrected" else None,
                remove_selectors=ids,
                actor=request.user,
            )
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, "Review recorded.")
            return redirect("retention-corrections")
    return render(
        request,
        "retention/correction_review.html",
        {
            "report": report,
            "tip": report.tip,
            "selectors": report.tip.selectors.all(),
            "outcomes": [c for c in InaccuracyReport.Status.choices if c[0] != "open"],
            "v": request.POST,
        },
    )


# --- access review ----------------------------------------------------------------------


def _review_period(request: HttpRequest) -> tuple[reviews.ReviewPeriod, str]:
    q = request.GET if request.method == "GET" else request.POST
    if not q.get("start") and not q.get("end"):
        return reviews.ReviewPeriod.last_year(), ""
    try:
        return reviews.ReviewPeriod.parse(q.get("start", ""), q.get("end", "")), ""
    except ValueError as exc:
        return reviews.ReviewPeriod.last_year(), str(exc)


@login_required
@require_GET
def access_review(request: HttpRequest) -> HttpResponse:
    _manager(request)
    period, error = _review_period(request)
    if error:
        return render(
            request, "retention/access_review.html", {"error": error, "period": period}, status=400
        )
    rows = reviews.build(period)
    audit_actions.do_view_list(
        get_user_model(),
        [r.user.pk for r in rows],
        actor=request.user,
        action="access.review_view",
        filters={"start": str(period.start), "end": str(period.end)},
        summary=f"access review {period}",
    )
    return render(
        request,
        "retention/access_review.html",
        {
            "period": period,
            "rows": rows,
            "outcomes": AccessCertification.Outcome.choices,
            "categories": reviews.CATEGORIES,
        },
    )


@login_required
@require_POST
def access_certify(request: HttpRequest, user_pk: int) -> HttpResponse:
    _manager(request)
    period, error = _review_period(request)
    url = f"{_url('retention-access-review')}?start={period.start}&end={period.end}"
    if error:
        messages.error(request, error)
        return redirect(url)
    try:
        user = get_user_model().objects.get(pk=user_pk)
    except get_user_model().DoesNotExist:
        raise Http404 from None
    review = reviews.build(period, users=get_user_model().objects.filter(pk=user.pk))[0]
    try:
        actions.do_certify_access(
            user,
            period=period,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            figures=review.figures(),
            actor=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    else:
        messages.success(request, f"Access of {user.get_username()} certified.")
    return redirect(url)


# --- dashboard ---------------------------------------------------------------------------


def dashboard_panel(request: HttpRequest) -> Panel | None:
    if not access.is_manager(request.user):
        return None
    return Panel(
        title="Records lifecycle",
        template="retention/_dashboard.html",
        context={
            "proposals": DeletionProposal.objects.filter(status="proposed").count(),
            "reports": InaccuracyReport.objects.open().count(),
            "holds": LegalHold.objects.active().count(),
        },
        order=70,
    )
