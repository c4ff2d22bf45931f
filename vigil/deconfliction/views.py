from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.core.dashboard import Panel
from vigil.core.params import int_param
from vigil.deconfliction import actions, queries
from vigil.deconfliction.models import NAME, Flag, Link, WarningListEntry
from vigil.tips.models import Selector, Tip


def tip_url(tip_id: int) -> str:
    """The tip's own page when the tips app has one, else its deconfliction page."""
    try:
        return reverse("tips-detail", args=[tip_id])
    except NoReverseMatch:
        return reverse("deconfliction-tip", args=[tip_id])


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _panel_context(request: HttpRequest, tip: Tip) -> dict:
    user = request.user
    flags = queries.flags_for_tip(tip.pk)
    # The flags show the other tips' shared values: one read row naming them.
    audit_actions.do_view_list(
        Flag, [f.pk for f in flags], actor=user, action="flag.list", filters={"tip": tip.pk}
    )
    writable = queries.writable_tip_ids(
        user, {f.tip_a_id for f in flags} | {f.tip_b_id for f in flags} | {tip.pk}
    )
    # One decision per value this tip shares ("shares V with these tips"); possible
    # flags (values from prose, not confirmed) apart; decided and closed pairs below.
    decisions = []
    for group in queries.shared_values_for_tip(tip.pk, flags):
        decisions.append(
            {
                "group": group,
                "flag": group.flag,
                "others": [{"tip": o, "url": tip_url(o.pk)} for o in group.others],
                "can_decide": any(writable & {f.tip_a_id, f.tip_b_id} for f in group.flags),
            }
        )
    rows = []
    for f in flags:
        if f.status == Flag.Status.OPEN:
            continue
        other = f.other_tip(tip.pk)
        rows.append({"flag": f, "other": other, "other_url": tip_url(other.pk)})
    cluster = queries.cluster_tip_ids(tip.pk)
    return {
        "tip": tip,
        "decisions": [d for d in decisions if not d["group"].possible],
        "possible": [d for d in decisions if d["group"].possible],
        "rows": rows,
        "open_count": len(decisions),
        "notices": queries.notices_for_tip(tip.pk),
        "links": queries.links_for_tip(tip.pk),
        "cluster_size": len(cluster),
        "can_write_tip": tip.pk in writable,
        "can_remove_link": access.can_remove_link(user),
    }


@login_required
@require_GET
def tip_page(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = access.get_for_user(
        Tip.objects.select_related("source", "assigned_to"), request.user, tip_id
    )
    return render(request, "deconfliction/tip.html", _panel_context(request, tip))


@login_required
@require_GET
def tip_panel(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = access.get_for_user(
        Tip.objects.select_related("source", "assigned_to"), request.user, tip_id
    )
    return render(request, "deconfliction/_panel.html", _panel_context(request, tip))


def _after_decision(request: HttpRequest, fallback_tip_id: int) -> HttpResponse:
    """htmx: the refreshed panel of the tip the analyst was on; otherwise back to that tip."""
    try:
        panel_tip = int(request.POST.get("panel_tip") or fallback_tip_id)
    except ValueError:
        panel_tip = fallback_tip_id
    if request.htmx:
        tip = access.get_for_user(
            Tip.objects.select_related("source", "assigned_to"), request.user, panel_tip
        )
        return render(request, "deconfliction/_panel.html", _panel_context(request, tip))
    return redirect("deconfliction-tip", panel_tip)


def _focus(request: HttpRequest, flag: Flag) -> Tip | None:
    """The tip the analyst decides from (the panel's tip), when it is one of the flag's."""
    try:
        tip_id = int(request.POST.get("panel_tip") or 0)
    except ValueError:
        return None
    if tip_id not in (flag.tip_a_id, flag.tip_b_id):
        return None
    return flag.tip_a if tip_id == flag.tip_a_id else flag.tip_b


@login_required
@require_POST
def flag_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link every tip sharing the flag's value (one decision per shared value)."""
    flag = access.get_for_user(Flag.objects.select_related("tip_a", "tip_b"), request.user, pk)
    try:
        outcome = actions.do_link_shared_value(
            flag, note=request.POST.get("note", ""), actor=request.user, tip=_focus(request, flag)
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request,
            f"Linked {len(outcome.tips)} tips sharing {flag.type_label} {flag.display}.",
        )
        for new_tip, office, referred in outcome.suggestions:
            messages.info(
                request,
                f"Tip {new_tip} joined the cluster of {referred}, referred to {office}: "
                f"consider referring it to {office} too.",
            )
    return _after_decision(request, flag.tip_a_id)


@login_required
@require_POST
def flag_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Dismiss the flag's value for every tip sharing it (one decision)."""
    flag = access.get_for_user(Flag.objects.select_related("tip_a", "tip_b"), request.user, pk)
    try:
        actions.do_dismiss_shared_value(
            flag,
            reason=request.POST.get("reason", ""),
            actor=request.user,
            tip=_focus(request, flag),
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request, "Dismissed for this value. It will not come back between these tips."
        )
    return _after_decision(request, flag.tip_a_id)


def _link_for_removal(user, pk: int) -> Link:
    if not (access.can_read_data(user) or access.can_remove_link(user)):
        raise Http404
    link = Link.objects.filter(pk=pk).first()
    if link is None:
        raise Http404
    if not access.can_remove_link(user):
        raise PermissionDenied
    return link


@login_required
@require_POST
def link_remove(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link_for_removal(request.user, pk)
    try:
        actions.do_remove_link(link, reason=request.POST.get("reason", ""), actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Link removed; the cluster was recomputed.")
    back = request.POST.get("panel_tip") or link.tip_a_id
    if access.can_read_data(request.user):
        return redirect("deconfliction-cluster", back)
    return redirect("deconfliction-flags")


def _audit_cluster(request: HttpRequest, tip: Tip, data, fmt: str = "page") -> None:
    audit_actions.do_view_list(
        Tip,
        sorted(data.tip_ids),
        actor=request.user,
        action="cluster.view",
        filters={"tip": tip.pk},
        format=fmt,
        summary=f"cluster of {len(data.tip_ids)} tips around {tip}",
    )


@login_required
@require_GET
def cluster(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = access.get_for_user(
        Tip.objects.select_related("source", "assigned_to"), request.user, tip_id
    )
    data = queries.cluster_data(tip.pk)
    _audit_cluster(request, tip, data)
    for row in data.tips:
        row["url"] = tip_url(row["tip"].pk)
    return render(
        request,
        "deconfliction/cluster.html",
        {
            "tip": tip,
            "cluster": data,
            "can_remove_link": access.can_remove_link(request.user),
        },
    )


@login_required
@require_GET
def cluster_json(request: HttpRequest, tip_id: int) -> JsonResponse:
    tip = access.get_for_user(Tip, request.user, tip_id)
    data = queries.cluster_data(tip.pk)
    _audit_cluster(request, tip, data, fmt="json")
    return JsonResponse(queries.cluster_graph(data, focus=tip.pk, url=tip_url))


@login_required
@require_GET
def flag_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    qs = Flag.objects.for_user(request.user).select_related(
        "tip_a__source", "tip_b__source", "tip_a__assigned_to", "tip_b__assigned_to", "decided_by"
    )
    status = request.GET.get("status", "open")
    if status in Flag.Status.values:
        qs = qs.filter(status=status)
    type_ = request.GET.get("type", "")
    if type_:
        qs = qs.filter(type=type_)
    mine = request.GET.get("mine") == "1"
    if mine:
        qs = qs.filter(Q(tip_a__assigned_to=request.user) | Q(tip_b__assigned_to=request.user))
    ref = request.GET.get("ref", "").strip()
    if ref:
        qs = qs.filter(
            Q(tip_a__source_reference__icontains=ref) | Q(tip_b__source_reference__icontains=ref)
        )
    # A web import's batch (its result page links here): flags touching the tips it created.
    batch = int_param(request.GET.get("batch"), "batch")
    if batch is not None:
        qs = qs.filter(Q(tip_a__import_job_id=batch) | Q(tip_b__import_job_id=batch))
    groups = None
    if status == Flag.Status.OPEN:
        # One row per decision: the shared value and every tip it is open between.
        keyed = (
            qs.order_by()
            .values("type", "value", "possible")
            .annotate(n=Count("id"), first=Min("id"), last=Max("created_at"))
            .order_by("possible", "-last", "type", "value")
        )
        page = Paginator(keyed, 50).get_page(request.GET.get("page"))
        groups = queries.decision_rows(list(page), qs)
    else:
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
    if groups is not None:
        shown = [g.flag.pk for g in groups]
        tips_shown = audit_actions.id_ranges(t.pk for g in groups for t in g.tips)
    else:
        shown = [f.pk for f in page]
        tips_shown = audit_actions.id_ranges(i for f in page for i in (f.tip_a_id, f.tip_b_id))
    audit_actions.do_view_list(
        Flag,
        shown,
        actor=request.user,
        action="flag.list",
        filters={
            "status": status,
            "type": type_,
            "mine": mine,
            "ref": ref,
            "batch": batch,
            "page": page.number,
        },
        tips=tips_shown,
    )
    types = [(NAME, "Name")] + [
        (t.value, t.label) for t in Selector.Type if t.value != Selector.Type.PERSON
    ]
    return render(
        request,
        "deconfliction/flags.html",
        {
            "page": page,
            "groups": groups,
            "status": status,
            "type": type_,
            "mine": mine,
            "ref": ref,
            "batch": batch,
            "statuses": Flag.Status.choices,
            "types": types,
        },
    )


@login_required
@require_GET
def warning_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(access.can_read_data(user) or access.can_manage_reference_data(user))
    entries = WarningListEntry.objects.active().select_related("added_by")
    type_ = request.GET.get("type", "")
    if type_:
        entries = entries.filter(type=type_)
    return render(
        request,
        "deconfliction/warning_list.html",
        {
            "entries": entries,
            "type": type_,
            "types": Selector.Type.choices,
            "can_manage": access.can_manage_reference_data(user),
        },
    )


@login_required
@require_POST
def warning_add(request: HttpRequest) -> HttpResponse:
    access.require(access.can_manage_reference_data(request.user))
    try:
        entry = actions.do_add_warning_entry(
            type=request.POST.get("type", ""),
            value=request.POST.get("value", ""),
            note=request.POST.get("note", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"Added {entry.type} {entry.value} to the warning list.")
    return redirect("deconfliction-warning-list")


@login_required
@require_POST
def warning_remove(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(access.can_manage_reference_data(request.user))
    entry = WarningListEntry.objects.active().filter(pk=pk).first()
    if entry is None:
        raise Http404
    try:
        actions.do_remove_warning_entry(entry, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"Removed {entry.type} {entry.value} from the warning list.")
    return redirect("deconfliction-warning-list")


def dashboard_panel(request: HttpRequest) -> Panel | None:
    user = request.user
    # Decisions wait for the tips' investigators (and Managers): a Read-only user decides none.
    if not access.can_create(user):
        return None
    # My tips' ids as a subquery on each side: an OR across two joins to the tips makes
    # PostgreSQL join every tip (0.8 s at 1,000,000 tips, bench/bench_pages.py).
    my_tips = Tip.objects.filter(assigned_to=user).values("pk")
    mine = Flag.objects.open().filter(Q(tip_a_id__in=my_tips) | Q(tip_b_id__in=my_tips))
    items = []
    seen: set[tuple] = set()
    # One line per decision (shared value), not per pair.
    # The page of ids first, then their tips: joined in one query, PostgreSQL misjudges the
    # rows and hash-joins every tip.
    first = list(mine.values_list("pk", flat=True)[:200])
    page = Flag.objects.filter(pk__in=first).select_related("tip_a__source", "tip_b__source")
    for f in page.order_by(*Flag._meta.ordering):
        key = (f.type, f.value, f.possible)
        if key in seen:
            continue
        seen.add(key)
        items.append(
            {
                "flag": f,
                "mine": f.tip_a if f.tip_a.assigned_to_id == user.pk else f.tip_b,
                "other": f.tip_b if f.tip_a.assigned_to_id == user.pk else f.tip_a,
            }
        )
        if len(items) == 10:
            break
    return Panel(
        title="Open flags on my tips",
        template="deconfliction/_dashboard.html",
        context={
            "count": queries.open_decisions(mine),
            "items": items,
            "all_open": queries.open_decisions() if access.is_manager(user) else None,
        },
        order=20,
    )
