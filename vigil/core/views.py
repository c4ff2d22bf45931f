from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.core import dashboard as dashboard_registry
from vigil.core import health


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    panels = dashboard_registry.panels_for(request)
    return render(request, "core/dashboard.html", {"panels": panels})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the load balancer: the process and the database answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database and the task queue (vigil/core/health.py); 503 when not ready."""
    report = health.readiness()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


# --- Error pages ------------------------------------------------------------------
# Rendered in the site's layout with what happened, what to do and a way back. Under
# /api/ the answer stays JSON. The 500 page renders without a request context: it must
# not touch the database or anything else that may be what failed.

_ERRORS = {
    400: (
        "Bad request",
        "The request could not be understood: a value was missing or malformed.",
        "Go back, correct the form or the address and try again.",
    ),
    403: (
        "Not allowed",
        "Your role does not allow this action on this record.",
        "If you need it, ask a Manager or your account administrator. Nothing was changed.",
    ),
    404: (
        "Not found",
        "There is no page here, or no record you may see at this address.",
        "Check the address, or use the navigation to find what you were looking for.",
    ),
    500: (
        "Something went wrong",
        "Vigil hit an unexpected error and did not finish the request. It has been logged.",
        "Try again in a moment. If it keeps happening, tell your administrator and quote "
        "the time and the request id below.",
    ),
}


def _back_url(request: HttpRequest) -> str | None:
    """The previous page, when the browser says it and it is one of ours."""
    try:
        referer = request.META.get("HTTP_REFERER", "")
        host = request.get_host()
    except Exception:  # a bad Host header is itself a reason for a 400
        return None
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return referer
    return None


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error_page(
    request: HttpRequest,
    status: int,
    *,
    message: str = "",
    with_context: bool = True,
) -> HttpResponse:
    title, what, todo = _ERRORS[status]
    if _is_api(request):
        return JsonResponse({"detail": message or what}, status=status)
    context = {
        "status": status,
        "title": title,
        "what": what,
        "todo": todo,
        "message": message,
        "back_url": _back_url(request),
        "request_id": getattr(request, "request_id", ""),
    }
    template = loader.get_template(f"{status}.html")
    body = template.render(context, request if with_context else None)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception is not None and str(exception) else ""
    return _error_page(request, 403, message=message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(request, 500, with_context=False)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: the form's security token expired or is missing."""
    if _is_api(request):
        return JsonResponse({"detail": "CSRF check failed: " + reason}, status=403)
    body = loader.get_template("403_csrf.html").render(
        {"back_url": _back_url(request), "reason": reason}, request
    )
    return HttpResponse(body, status=403)


# --- API index ------------------------------------------------------------------


class ApiIndex(APIView):
    """GET /api/: the API's sections for a signed-in caller (same refusal as the rest)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="The API's sections")
    def get(self, request: Request) -> Response:
        sections = {
            "tips": reverse("api-tips-list"),
            "tip_imports": reverse("api-tips-imports"),
            "deconfliction": {
                "flags": reverse("api-deconfliction-flags"),
                "links": reverse("api-deconfliction-links"),
            },
            "victimid": {"series": reverse("victimid-api-series")},
            "subpoenas": reverse("api-subpoenas"),
            "exchange": {
                "sync": reverse("exchange-sync-changes"),
                "push": reverse("exchange-sync-push"),
            },
            "schema": reverse("api-schema"),
            "docs": reverse("api-docs"),
            "tokens": reverse("accounts-api-tokens"),
        }
        return Response({"name": "Vigil API", "sections": sections})
