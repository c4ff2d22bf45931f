"""Session policy: idle time-out, MFA enforcement, last-seen tracking."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

IDLE_KEY = "vigil_last_activity"
# Paths a signed-in user who has not passed MFA may still reach (not account
# administration or password change: those need the second factor too).
_MFA_EXEMPT = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/mfa/",
    "/static/",
    "/healthz",
    "/readyz",
)

# A user who must replace a temporary password reaches only these until they do.
_PASSWORD_EXEMPT = (*_MFA_EXEMPT, "/accounts/password/")


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
                request.vigil_logout_reason = "session ended after idle time-out"
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Session ended after idle time-out."}, status=401
                    )
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("accounts-login") + "?idle=1"
                    return response
                return redirect(reverse("accounts-login") + "?idle=1")
            if user.locked_at is not None or not user.is_active:
                request.vigil_logout_reason = "session ended: account locked or disabled"
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Account locked or disabled."}, status=401)
                return redirect("accounts-login")
            # Polling endpoints (e.g. progress bars) must not keep an idle session alive.
            if not request.headers.get("X-Vigil-Poll"):
                request.session[IDLE_KEY] = now
                if (
                    user.last_seen_at is None
                    or (timezone.now() - user.last_seen_at).total_seconds() > 300
                ):
                    get_user_model().objects.filter(pk=user.pk).update(last_seen_at=timezone.now())
            if not request.path.startswith(_MFA_EXEMPT) and not user.is_verified():
                from django_otp import user_has_device

                # Required for everyone, or (when not required) for whoever enrolled anyway.
                has_device = user_has_device(user)
                if settings.REQUIRE_MFA or has_device:
                    if request.path.startswith("/api/"):
                        return JsonResponse(
                            {"detail": "Multi-factor authentication required."}, status=403
                        )
                    target = "accounts-mfa-verify" if has_device else "accounts-mfa-enrol"
                    return redirect(
                        reverse(target) + "?" + urlencode({"next": request.get_full_path()})
                    )
            if user.must_change_password and not request.path.startswith(_PASSWORD_EXEMPT):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Change your password first."}, status=403)
                return redirect("accounts-password")
        return self.get_response(request)
