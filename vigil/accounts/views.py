from __future__ import annotations

import base64
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.accounts import access, actions, auth
from vigil.accounts.forms import (
    AccountCreateForm,
    AccountForm,
    ApiTokenForm,
    DisableForm,
    LoginForm,
    ShareGrantForm,
    TotpForm,
)
from vigil.audit.log import record
from vigil.audit.models import AuditEvent, Outcome


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
        existing = get_user_model().objects.filter(username=username).first()
        if existing is not None and auth.is_locked(existing):
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
                    f"This account was disabled after {settings.ACCOUNT_INACTIVE_DAYS} days "
                    "without use. Ask an administrator.",
                )
            else:
                auth_login(request, user)
                if settings.REQUIRE_MFA or user_has_device(user):
                    from django.urls import reverse

                    target = (
                        "accounts-mfa-verify" if user_has_device(user) else "accounts-mfa-enrol"
                    )
                    return redirect(reverse(target) + "?" + urlencode({"next": _next(request)}))
                return redirect(_next(request))
        elif getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked.html", status=403)
    else:
        form = LoginForm(request)
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "idle": request.GET.get("idle"),
            "idle_minutes": max(1, settings.SESSION_IDLE_SECONDS // 60),
        },
    )


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
    device = actions.do_begin_mfa_enrolment(request.user)
    if device is None:
        return redirect("accounts-mfa-verify")
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if actions.do_confirm_mfa_enrolment(device, form.cleaned_data["token"]):
            otp_login(request, device)
            messages.success(request, "Multi-factor authentication is on for your account.")
            return redirect(_next(request))
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


# --- account administration (administrators only) ------------------------------------


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_manage_accounts(request.user))
    User = get_user_model()
    accounts = User.objects.annotate(
        mfa_devices=Count("totpdevice", filter=Q(totpdevice__confirmed=True))
    )
    show = request.GET.get("show", "")
    if show == "locked":
        accounts = accounts.filter(locked_at__isnull=False)
    elif show == "disabled":
        accounts = accounts.filter(is_active=False)
    return render(request, "accounts/list.html", {"accounts": accounts, "show": show})


@login_required
def account_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_manage_accounts(request.user))
    form = AccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account, generated = actions.do_create_account(actor=request.user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            # Rendered, not redirected: the generated password is shown this once only.
            return render(
                request, "accounts/created.html", {"account": account, "password": generated}
            )
    return render(request, "accounts/create.html", {"form": form})


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.account_for_admin(request.user, pk)
    initial = {name: getattr(account, name) for name in AccountForm.base_fields}
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_account(account, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Saved {account.username}.")
            return redirect("accounts-detail", pk=account.pk)
    events = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(account.pk))[:20]
    return render(
        request,
        "accounts/detail.html",
        {
            "account": account,
            "form": form,
            "disable_form": DisableForm(),
            "mfa_devices": TOTPDevice.objects.filter(user=account, confirmed=True).count(),
            "events": events,
        },
    )


def _account_action(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:
    account = access.account_for_admin(request.user, pk)
    try:
        run(account)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done.format(username=account.username))
    return redirect("accounts-detail", pk=account.pk)


@login_required
@require_POST
def account_disable(request: HttpRequest, pk: int) -> HttpResponse:
    form = DisableForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _account_action(
        request,
        pk,
        lambda a: actions.do_disable_account(a, actor=request.user, reason=reason),
        "{username} is disabled and signed out.",
    )


@login_required
@require_POST
def account_enable(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(
        request,
        pk,
        lambda a: actions.do_enable_account(a, actor=request.user),
        "{username} is enabled.",
    )


@login_required
@require_POST
def account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(
        request,
        pk,
        lambda a: actions.do_unlock_account(a, actor=request.user),
        "{username} is unlocked and may sign in again.",
    )


@login_required
@require_POST
def account_reset_mfa(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(
        request,
        pk,
        lambda a: actions.do_reset_mfa(a, actor=request.user),
        "{username}'s authenticator was removed; they set up a new one at the next sign-in.",
    )


@login_required
@require_POST
def account_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    account = access.account_for_admin(request.user, pk)
    password = actions.do_reset_password(account, actor=request.user)
    return render(
        request, "accounts/created.html", {"account": account, "password": password, "reset": True}
    )


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Every user changes their own password (rules from AUTH_PASSWORD_VALIDATORS)."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            actions.do_change_password(
                request.user, actor=request.user, new_password=form.cleaned_data["new_password1"]
            )
            update_session_auth_hash(request, request.user)
            messages.success(request, "Your password is changed.")
            return redirect("core-dashboard")
        record(
            "password.change",
            actor=request.user,
            obj=request.user,
            outcome=Outcome.FAILED,
            summary="; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())[:300],
        )
    return render(
        request,
        "accounts/password.html",
        {"form": form, "rules": password_validators_help_texts()},
    )


# --- "may share" grants (Managers) ------------------------------------------------------


@login_required
def share_grants(request: HttpRequest) -> HttpResponse:
    """Who may send packages to outside agencies; a Manager grants and revokes here."""
    access.require(access.can_grant_share(request.user))
    accounts = (
        get_user_model()
        .objects.filter(is_active=True, role__in=sorted(actions.SHARE_ROLES))
        .select_related("may_share_changed_by")
        .order_by("-may_share", "username")
    )
    return render(
        request, "accounts/sharing.html", {"accounts": accounts, "form": ShareGrantForm()}
    )


def _share_action(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:
    account = access.account_for_share_grant(request.user, pk)
    form = ShareGrantForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("accounts-sharing")
    try:
        run(account, reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done.format(username=account.username))
    return redirect("accounts-sharing")


@login_required
@require_POST
def share_grant(request: HttpRequest, pk: int) -> HttpResponse:
    return _share_action(
        request,
        pk,
        lambda a, reason: actions.do_grant_share(a, actor=request.user, reason=reason),
        "{username} may now share with outside agencies.",
    )


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _share_action(
        request,
        pk,
        lambda a, reason: actions.do_revoke_share(a, actor=request.user, reason=reason),
        "{username} may no longer share with outside agencies.",
    )


# --- API access (tokens) -----------------------------------------------------------------


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens (everyone's for a Manager or administrator); create one here."""
    access.require(access.can_use_api(request.user))
    form = ApiTokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = actions.do_create_api_token(
                actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = ApiTokenForm()
    tokens = access.api_tokens_for(request.user)
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "created": created,
            "secret": secret,
            "tokens": tokens[:500],
            "all_users": access.can_manage_all_api_tokens(request.user),
        },
        status=400 if request.method == "POST" and created is None else 200,
    )
    response["Cache-Control"] = "no-store"  # the secret is on this page once
    return response


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = access.api_token_for(request.user, pk)
    actions.do_revoke_api_token(token, actor=request.user)
    messages.success(request, f"The token “{token.name}” ({token.key_id}) is revoked.")
    return redirect("accounts-api-tokens")
