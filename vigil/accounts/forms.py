from django import forms
from django.contrib.auth.forms import AuthenticationForm

from vigil.accounts.models import Role


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Wrong username or password.",
        "inactive": "This account is disabled. Ask an administrator.",
    }


class TotpForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class AccountForm(forms.Form):
    """Role and profile of an account (create and edit)."""

    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    agency = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(max_length=40, required=False)
    role = forms.ChoiceField(label="Data role", choices=Role.choices, initial=Role.NONE)
    is_account_admin = forms.BooleanField(
        label="Administrator (manages accounts, reads the audit trail)", required=False
    )


class AccountCreateForm(AccountForm):
    username = forms.RegexField(
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Use letters, digits and @ . + - _ only."},
    )
    password = forms.CharField(
        label="Initial password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to generate one; it is shown once.",
    )
    field_order = ["username", "first_name", "last_name", "email", "agency", "phone", "role"]


class DisableForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)


class ShareGrantForm(forms.Form):
    reason = forms.CharField(
        label="Mission need validated",
        max_length=300,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. liaison with the state ICAC task force"}
        ),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, e.g. “case tool on laptop 12”.",
        error_messages={"required": "Name the token (what will use it)."},
    )
    days = forms.TypedChoiceField(
        label="Lasts",
        coerce=int,
        initial=90,
        choices=[(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "365 days")],
    )
