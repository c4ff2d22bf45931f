from __future__ import annotations

import base64
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.accounts import auth
from vigil.accounts.forms import LoginForm, TotpForm
from vigil.audit.log import record
from vigil.audit.models import Outcome


def _next(request: HttpRequest, default: str = "core-dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    from django.urls import reverse

    return reverse(default)


def login(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = LoginForm(request, data=request.POST)
        username = request.POST.get("username", "")
        from django.contrib.auth import get_user_model

        existing = get_user_model().objects.filter(username=username).first()
        if existing is not None and existing.locked_at is not None:
            record(
                "login",
                actor_username=username,
                outcome=Outcome.DENIED,
                obj=existing,
                summary="attempt on a locked account",
            )
            return render(request, "accounts/locked.html", status=403)
        if form.is_valid():
            user = form.get_user()
            if auth.inactive_too_long(user):
                auth.disable_inactive(user)
                form.add_error(
                    None,
                    "This account was disabled after 90 days without use. Ask an administrator.",
                )
            else:
                auth_login(request, user)
                if settings.REQUIRE_MFA or user_has_device(user):
                    from django.urls import reverse

                    target = (
                        "accounts-mfa-verify" if user_has_device(user) else "accounts-mfa-enrol"
                    )
                    return redirect(reverse(target) + "?next=" + _next(request))
                return redirect(_next(request))
        elif getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked.html", status=403)
    else:
        form = LoginForm(request)
    return render(request, "accounts/login.html", {"form": form, "idle": request.GET.get("idle")})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("accounts-login")


def _qr_data_uri(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


@login_required
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP authenticator: show the secret and QR code, confirm with one code."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            return redirect("accounts-mfa-verify")
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save()
                record("mfa.enrol", actor=request.user, obj=request.user)
            otp_login(request, device)
            messages.success(request, "Multi-factor authentication is on for your account.")
            return redirect(_next(request))
        record(
            "mfa.enrol",
            actor=request.user,
            obj=request.user,
            outcome=Outcome.FAILED,
            summary="wrong code",
        )
        form.add_error(
            "token", "That code is not right. Check your device's clock and try the current code."
        )
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "secret": secret,
            "qr": _qr_data_uri(device.config_url),
            "next": _next(request),
        },
    )


@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                record("mfa.verify", actor=request.user, obj=request.user)
                return redirect(_next(request))
        record(
            "mfa.verify",
            actor=request.user,
            obj=request.user,
            outcome=Outcome.FAILED,
            summary="wrong code",
        )
        form.add_error("token", "That code is not right.")
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next(request)})


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import get_user_model

    from vigil.accounts import access

    access.require(access.can_manage_accounts(request.user))
    return render(request, "accounts/list.html", {"accounts": get_user_model().objects.all()})
