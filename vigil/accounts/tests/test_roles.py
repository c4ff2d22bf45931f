"""Every account page as every persona."""

import pytest
from django.urls import reverse

from vigil.accounts.models import Role
from vigil.testing.personas import make_user
from vigil.testing.roles import check_roles


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


@pytest.fixture
def target(db):
    return make_user("target", Role.READER)


def test_it_guards_the_account_list(client, personas):
    check_roles(client, personas, "get", reverse("accounts-list"))


def test_it_guards_the_create_page(client, personas):
    check_roles(client, personas, "get", reverse("accounts-create"))
    check_roles(
        client,
        personas,
        "post",
        reverse("accounts-create"),
        data={"username": "created", "role": Role.READER},
        audit_action="account.create",
    )


def test_it_guards_the_account_page(client, personas, target):
    url = reverse("accounts-detail", args=[target.pk])
    check_roles(client, personas, "get", url)
    check_roles(
        client,
        personas,
        "post",
        url,
        data={"role": Role.MANAGER},
        audit_action="account.role_change",
    )
    target.refresh_from_db()
    assert target.role == Role.MANAGER


@pytest.mark.parametrize(
    ("name", "audit_action", "prepare"),
    [
        ("accounts-disable", "account.disable", {}),
        ("accounts-enable", "account.enable", {"is_active": False}),
        ("accounts-unlock", "account.unlock", {"locked_at": "2026-01-01T00:00:00Z"}),
        ("accounts-reset-mfa", "mfa.reset", {}),
        ("accounts-reset-password", "password.reset", {}),
    ],
)
def test_it_guards_each_account_action(client, personas, target, name, audit_action, prepare):
    for field, value in prepare.items():
        setattr(target, field, value)
    target.save()
    url = reverse(name, args=[target.pk])
    check_roles(
        client,
        personas,
        "post",
        url,
        audit_action=audit_action,
    )
    # GET is not an action.
    client.force_login(personas.admin)
    assert client.get(url).status_code == 405


def test_it_lets_everyone_change_their_own_password(client, personas):
    {r: 200 for r in ("reader", "other_investigator", "investigator", "manager", "admin")}
    check_roles(client, personas, "get", reverse("accounts-password"))


def test_it_lets_every_signed_in_user_reach_the_mfa_pages(client, personas):
    {r: 200 for r in ("reader", "other_investigator", "investigator", "manager", "admin")}
    for name in ("accounts-mfa-enrol", "accounts-mfa-verify"):
        check_roles(client, personas, "get", reverse(name))


def test_it_signs_out_only_by_post(client, personas):
    check_roles(client, personas, "post", reverse("accounts-logout"), audit_action="logout")
    client.force_login(personas.reader)
    assert client.get(reverse("accounts-logout")).status_code == 405
    assert client.post(reverse("accounts-logout")).status_code == 302
    assert client.get(reverse("messaging-inbox")).status_code == 302
