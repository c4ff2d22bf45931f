"""Shares with outside agencies."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vigil.accounts import access
from vigil.audit import actions as audit_actions
from vigil.referrals import actions
from vigil.referrals.forms import ShareForm
from vigil.referrals.models import SharePackage
from vigil.referrals.views.common import _errors, _no_store, _referral, _tip


@login_required
def share_create(request: HttpRequest) -> HttpResponse:
    if not access.can_share(request.user):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    tip = referral = None
    if source.get("referral"):
        referral = _referral(request, source["referral"], access.WRITE)
        tip = referral.tip
    elif source.get("tip"):
        tip = _tip(request, source["tip"], access.WRITE)
    else:
        return HttpResponse("Say which tip or referral to share (?tip= or ?referral=).", status=400)
    initial = {"kind": "packet" if referral else source.get("kind", "ip_list")}
    form = ShareForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            package, password = actions.do_create_share(
                actor=request.user,
                office=data["office"],
                kind=data["kind"],
                method=data["method"],
                purpose=data["purpose"],
                tip=tip,
                referral=referral if data["kind"] == SharePackage.Kind.PACKET else None,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            # Rendered, not redirected: the password is shown this once only.
            return _no_store(
                render(
                    request, "referrals/share_created.html", {"p": package, "password": password}
                )
            )
    return render(
        request, "referrals/share_form.html", {"form": form, "tip": tip, "referral": referral}
    )


@login_required
@require_GET
def share_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_data(request.user))
    qs = SharePackage.objects.for_user(request.user).select_related("office", "created_by", "tip")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    shown = [p.pk for p in page]
    audit_actions.do_view_list(
        SharePackage, shown, actor=request.user, action="share.list", filters={"page": page.number}
    )
    # Which of this page's packages the user may download (not every writable one in the table).
    writable = set(
        SharePackage.objects.for_user(request.user, access.WRITE)
        .filter(pk__in=shown)
        .values_list("pk", flat=True)
    )
    return render(request, "referrals/share_list.html", {"page": page, "writable": writable})


@login_required
@require_GET
def share_download(request: HttpRequest, pk: int) -> HttpResponse:
    package = access.get_for_user(SharePackage, request.user, pk, access.WRITE)
    try:
        data = actions.do_download_share(package, actor=request.user)
    except actions.TamperedPackage as exc:
        return HttpResponse(" ".join(exc.messages), status=409, content_type="text/plain")
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=410, content_type="text/plain")
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{package.file_name}"'
    return _no_store(response)
