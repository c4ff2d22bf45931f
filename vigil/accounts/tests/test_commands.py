import io

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from vigil.audit.models import AuditEvent

User = get_user_model()


def test_it_creates_the_first_administrator_with_a_password_shown_once(db, capsys):
    call_command("create_admin", "root", "--email", "root@unit.example")
    out = capsys.readouterr().out
    user = User.objects.get(username="root")
    assert user.is_account_admin and user.is_active
    password = out.split("Password (shown once): ")[1].strip()
    assert user.check_password(password)
    event = AuditEvent.objects.get(action="account.create")
    assert event.via == "cli" and event.actor_username == "create_admin"


def test_it_restores_administrator_access(personas, monkeypatch):
    admin = personas.admin
    admin.is_active = False
    admin.locked_at = timezone.now()
    admin.save()
    monkeypatch.setattr("sys.stdin", io.StringIO("a restored long passphrase\n"))
    call_command("create_admin", admin.username, "--password-stdin")
    admin.refresh_from_db()
    assert admin.is_active and admin.locked_at is None and admin.is_account_admin
    assert admin.check_password("a restored long passphrase")
    event = AuditEvent.objects.get(action="account.role_change")
    assert event.changes["is_active"] == {"before": False, "after": True}
    assert AuditEvent.objects.filter(action="password.reset").exists()


def test_it_refuses_a_weak_password(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    try:
        call_command("create_admin", "root", "--password-stdin")
    except CommandError as exc:
        assert "too short" in str(exc)
    else:
        raise AssertionError("a weak password was accepted")
    assert not User.objects.filter(username="root").exists()


def test_demo_accounts_are_audited_and_get_the_one_password_generator(db):
    """demo_setup's accounts go through accounts.actions (one audit row each, the same
    generated-password shape as every other account), and a second run creates nothing."""
    import re

    from vigil.accounts import actions
    from vigil.accounts.management.commands.demo_setup import DEMO_ACCOUNTS

    made = []
    for username, role, admin in DEMO_ACCOUNTS:
        made.append(actions.do_create_demo_account(username, role=role, is_account_admin=admin))
    shape = re.compile(r"^[\w-]{5}-[\w-]{5}-[\w-]{5}-[\w-]{5}$")
    for (user, password), (username, role, admin) in zip(made, DEMO_ACCOUNTS, strict=True):
        assert user.username == username and user.role == role
        assert user.is_account_admin == admin
        assert user.check_password(password) and shape.match(password)
    events = AuditEvent.objects.filter(action="account.create", actor_username="demo_setup")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(str(u.pk) for u, _ in made)
    assert actions.do_create_demo_account("reader", role="reader") is None
    assert events.count() == len(DEMO_ACCOUNTS)
