"""Session policy: idle time-out, MFA enforcement, last-seen tracking."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from vigil.audit.log import record

IDLE_KEY = "vigil_last_activity"
# Paths a signed-in user who has not passed MFA may still reach.
_MFA_EXEMPT = ("/accounts/", "/static/", "/healthz")


class AccountPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # Token-authenticated API calls carry no session; DRF handles them.
        if user.is_authenticated:
            now = time.time()
            last = request.session.get(IDLE_KEY)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                record("logout", actor=user, summary="session ended after idle time-out")
                logout(request)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("accounts-login") + "?idle=1"
                    return response
                return redirect(reverse("accounts-login") + "?idle=1")
            if user.locked_at is not None or not user.is_active:
                logout(request)
                return redirect("accounts-login")
            # Polling endpoints (e.g. progress bars) must not keep an idle session alive.
            if not request.headers.get("X-Vigil-Poll"):
                request.session[IDLE_KEY] = now
                if (
                    user.last_seen_at is None
                    or (timezone.now() - user.last_seen_at).total_seconds() > 300
                ):
                    type(user).objects.filter(pk=user.pk).update(last_seen_at=timezone.now())
            if (
                settings.REQUIRE_MFA
                and not request.path.startswith(_MFA_EXEMPT)
                and not user.is_verified()
            ):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Multi-factor authentication required."}, status=403
                    )
                from django_otp import user_has_device

                target = "accounts-mfa-verify" if user_has_device(user) else "accounts-mfa-enrol"
                return redirect(reverse(target) + f"?next={request.get_full_path()}")
        return self.get_response(request)
