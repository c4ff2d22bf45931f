from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from vigil.core import request_context
from vigil.core.views import page_not_found

_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    # Behind a reverse proxy set VIGIL_TRUST_X_FORWARDED_FOR; otherwise the
    # header is attacker-controlled and ignored.
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    """Give every request a UUID, bind it for audit rows, echo it as X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        via = "api" if request.path.startswith("/api/") else "web"
        with request_context.bind(request_id=request_id, ip=client_ip(request), via=via):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Pages about cases must not linger in shared caches or the back button.
            response.setdefault("Cache-Control", "no-store")
        return response


class RecordNotFoundMiddleware:
    """A view's Http404 (a record that does not exist or is outside the user's reach) answers
    the site's 404 page even with DEBUG on (`make run`), where Django would show its technical
    page: unstyled under the strict CSP, no way back, every URL pattern listed. Production
    renders the same page through handler404; an address no URL matches never reaches a view
    and keeps the technical page in debug mode."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Http404):
            return None
        return page_not_found(request, exception)
