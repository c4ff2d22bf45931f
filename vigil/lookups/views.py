from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.lookups import actions, ranges, rdap
from vigil.lookups.models import LookupSettings, Provider, ProviderMapping, RangeSource, RdapResult
from vigil.tips.models import Selector, Tip


def _tip(request: HttpRequest, tip_id: int) -> Tip:
    return access.get_for_user(Tip.objects.select_related("source"), request.user, tip_id)


def tip_lookups(tip: Tip) -> dict:
    """Offline ownership, cached RDAP and the proposed provider for each IP, e-mail and online ID."""
    sels = list(
        tip.selectors.filter(
            type__in=[
                Selector.Type.IP,
                Selector.Type.EMAIL,
                Selector.Type.ONLINE_ID,
                Selector.Type.DOMAIN,
            ]
        )
    )
    ips = [s for s in sels if s.type == Selector.Type.IP]
    offline = ranges.lookup_many([s.value for s in ips]) if ips else []
    cached = {
        r.query: r for r in RdapResult.objects.filter(kind="ip", query__in=[s.value for s in ips])
    }
    rdap_hits = [cached.get(s.value) for s in ips]
    others_sel = [s for s in sels if s.type in {Selector.Type.EMAIL, Selector.Type.ONLINE_ID}]
    # One query for every proposal of the panel (RDAP handle, then AS number; e-mail domain;
    # platform), whatever the number of identifiers.
    proposals = actions.propose_providers(
        [
            {
                "rdap_handle": res.org_handle if res is not None and res.status == "ok" else "",
                "asn": off["asn"],
            }
            for res, off in zip(rdap_hits, offline, strict=True)
        ]
        + [
            {"email_domain": s.value.rsplit("@", 1)[-1]}
            if s.type == Selector.Type.EMAIL
            else {"platform": s.value.split(":", 1)[0]}
            for s in others_sel
        ]
    )
    rows = [
        {"selector": s, "offline": off, "rdap": res, "provider": provider}
        for s, off, res, provider in zip(ips, offline, rdap_hits, proposals, strict=False)
    ]
    domains = [s for s in sels if s.type == Selector.Type.DOMAIN]
    cached_domains = {
        r.query: r
        for r in RdapResult.objects.filter(kind="domain", query__in=[s.value for s in domains])
    }
    domain_rows = [{"selector": s, "rdap": cached_domains.get(s.value)} for s in domains]
    others = [
        {"selector": s, "provider": provider}
        for s, provider in zip(others_sel, proposals[len(ips) :], strict=True)
    ]
    return {"ip_rows": rows, "other_rows": others, "domain_rows": domain_rows}


@login_required
@require_GET
def tip_panel(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = _tip(request, tip_id)
    ctx = tip_lookups(tip)
    # The panel names who owns the tip's IPs and domains: one read row with the stored RDAP
    # answers it showed (the offline ranges are reference data).
    shown = [r["rdap"].pk for r in ctx["ip_rows"] + ctx["domain_rows"] if r["rdap"] is not None]
    audit_actions.do_view_list(
        RdapResult,
        shown,
        actor=request.user,
        action="lookups.list",
        filters={"tip": tip.pk},
        selectors=len(ctx["ip_rows"]) + len(ctx["domain_rows"]) + len(ctx["other_rows"]),
    )
    ctx.update(
        tip=tip,
        rdap_enabled=rdap.enabled(),
        can_rdap=actions.can_run_rdap(request.user),
    )
    return render(request, "lookups/_panel.html", ctx)


@login_required
@require_POST
def tip_rdap(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = _tip(request, tip_id)
    if not actions.can_run_rdap(request.user):
        raise PermissionDenied
    queries = [
        ("ip" if t == Selector.Type.IP else "domain", v)
        for t, v in tip.selectors.filter(
            type__in=[Selector.Type.IP, Selector.Type.DOMAIN]
        ).values_list("type", "value")
    ]
    refresh = request.POST.get("refresh") == "1"
    problems = []
    for kind, value in queries:
        try:
            res = actions.do_rdap_lookup(kind, value, actor=request.user, refresh=refresh)
        except rdap.RdapError as exc:
            problems.append(f"{value}: {exc}")
            if isinstance(exc, rdap.RdapDisabled):
                break
            continue
        if res.status != RdapResult.Status.OK:
            problems.append(f"{value}: {res.get_status_display()} — {res.error}")
    if problems:
        messages.warning(request, " ".join(problems))
    elif queries:
        messages.success(request, f"RDAP looked up {len(queries)} IP(s) and domain(s).")
    else:
        messages.info(request, "This tip has no IP address or domain to look up.")
    return redirect(reverse("tips-detail", args=[tip.pk]) + "#lookups")


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (access.can_manage_accounts(user) or access.can_manage_reference_data(user)):
        raise PermissionDenied
    if request.method == "POST":
        actions.do_set_rdap_enabled(request.POST.get("rdap_enabled") == "1", actor=user)
        messages.success(request, "Saved.")
        return redirect("lookups-settings")
    cfg = LookupSettings.current()
    audit_actions.do_view(
        cfg, actor=user, action="lookups.settings_view", summary="look-up settings"
    )
    try:
        boot = rdap.bootstrap_info()
    except rdap.BootstrapError as exc:
        boot = [{"kind": "?", "origin": str(exc), "publication": ""}]
    from django.conf import settings as dj

    return render(
        request,
        "lookups/settings.html",
        {
            "cfg": cfg,
            "can_toggle": access.can_manage_accounts(user),
            "bootstrap": boot,
            "sources": RangeSource.objects.all(),
            "allowed_hosts": dj.OUTBOUND_ALLOWED_HOSTS,
            "proxy": dj.OUTBOUND_PROXY,
        },
    )


# --- provider directory ---------------------------------------------------------------------


def _provider(request: HttpRequest, pk: int, action: access.Action = access.READ) -> Provider:
    return access.get_for_user(Provider, request.user, pk, action)


@login_required
@require_GET
def provider_list(request: HttpRequest) -> HttpResponse:
    qs = Provider.objects.for_user(request.user).prefetch_related("mappings")
    if not (access.can_read_data(request.user) or access.can_manage_reference_data(request.user)):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q)
    providers = list(qs[:500])
    # The filter is a provider's name, reference data; kept out of the row all the same, as
    # every search box's text is (vigil/audit/actions.py).
    audit_actions.do_view_list(
        Provider, [p.pk for p in providers], actor=request.user, action="lookups.provider_list"
    )
    return render(
        request,
        "lookups/providers.html",
        {
            "providers": providers,
            "q": q,
            "can_manage": access.can_manage_reference_data(request.user),
        },
    )


def _form_fields(post) -> dict:
    fields = {k: post.get(k, "") for k in Provider.EDITABLE if k != "active"}
    fields["active"] = post.get("active") == "on"
    return fields


@login_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not access.can_manage_reference_data(request.user):
        if pk is not None:
            _provider(request, pk)  # 404 before 403
        raise PermissionDenied
    provider = _provider(request, pk, access.WRITE) if pk is not None else None
    values = None
    if request.method == "POST":
        fields = _form_fields(request.POST)
        try:
            if provider is None:
                provider = actions.do_create_provider(actor=request.user, **fields)
            else:
                actions.do_update_provider(provider, actor=request.user, **fields)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            values = fields
            provider = Provider.objects.filter(pk=pk).first() if pk else None
        else:
            messages.success(request, f"Saved {provider.name}.")
            return redirect("lookups-provider-edit", pk=provider.pk)
    return render(
        request,
        "lookups/provider_form.html",
        {
            "provider": provider,
            "v": values,
            "kinds": Provider.Kind.choices,
            "methods": Provider.Method.choices,
            "mapping_kinds": ProviderMapping.Kind.choices,
        },
    )


@login_required
@require_POST
def provider_delete(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _provider(request, pk, access.DELETE)
    try:
        actions.do_delete_provider(provider, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("lookups-provider-edit", pk=pk)
    messages.success(request, f"Deleted {provider.name}.")
    return redirect("lookups-providers")


@login_required
@require_POST
def mapping_add(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _provider(request, pk, access.WRITE)
    try:
        actions.do_add_mapping(
            provider,
            request.POST.get("kind", ""),
            request.POST.get("value", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("lookups-provider-edit", pk=pk)


@login_required
@require_POST
def mapping_remove(request: HttpRequest, pk: int, mapping_id: int) -> HttpResponse:
    provider = _provider(request, pk, access.WRITE)
    mapping = provider.mappings.filter(pk=mapping_id).first()
    if mapping is None:
        from django.http import Http404

        raise Http404
    actions.do_remove_mapping(mapping, actor=request.user)
    return redirect("lookups-provider-edit", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def provider_import(request: HttpRequest) -> HttpResponse:
    if not access.can_manage_reference_data(request.user):
        raise PermissionDenied
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV file.")
        else:
            try:
                summary = actions.do_import_providers(upload.read(), actor=request.user)
            except ValidationError as exc:
                messages.error(request, "Nothing was imported. " + " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    f"{summary['created']} created, {summary['updated']} updated, "
                    f"{summary['mappings_added']} mappings added.",
                )
                return redirect("lookups-providers")
    return render(
        request,
        "lookups/provider_import.html",
        {
            "columns": [
                "name",
                *[f for f in Provider.EDITABLE if f != "name"],
                *actions.CSV_MAPPING_COLUMNS,
            ]
        },
    )
