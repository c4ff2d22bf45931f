import datetime as dt

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from vigil.audit.models import AuditEvent
from vigil.testing.personas import PASSWORD


def _age(user, days):
    user.last_seen_at = timezone.now() - dt.timedelta(days=days)
    user.save()


def test_it_disables_accounts_inactive_for_the_set_number_of_days(personas, capsys, settings):
    settings.ACCOUNT_INACTIVE_DAYS = 90
    _age(personas.reader, 91)
    _age(personas.investigator, 89)
    call_command("disable_inactive")
    personas.reader.refresh_from_db()
    personas.investigator.refresh_from_db()
    assert not personas.reader.is_active
    assert personas.reader.disabled_reason == "inactive for 90 days"
    assert personas.investigator.is_active
    out = capsys.readouterr().out
    assert "disabled reader" in out and "1 account(s)" in out
    event = AuditEvent.objects.get(action="account.disable")
    assert event.object_id == str(personas.reader.pk) and event.via == "cli"
    assert event.changes["is_active"] == {"before": True, "after": False}
    # A second run finds nothing more.
    call_command("disable_inactive")
    assert AuditEvent.objects.filter(action="account.disable").count() == 1


def test_it_counts_a_never_used_account_from_its_creation(personas, settings):
    settings.ACCOUNT_INACTIVE_DAYS = 90
    personas.olga = personas.other_investigator
    personas.olga.last_seen_at = None
    personas.olga.date_joined = timezone.now() - dt.timedelta(days=120)
    personas.olga.save()
    call_command("disable_inactive")
    personas.olga.refresh_from_db()
    assert not personas.olga.is_active


def test_it_changes_nothing_on_a_dry_run(personas, capsys):
    _age(personas.reader, 200)
    call_command("disable_inactive", "--dry-run")
    personas.reader.refresh_from_db()
    assert personas.reader.is_active
    assert "would disable reader" in capsys.readouterr().out
    assert not AuditEvent.objects.filter(action="account.disable").exists()


def test_it_disables_an_inactive_account_at_sign_in(client, personas, settings):
    settings.REQUIRE_MFA = False
    _age(personas.reader, 100)
    response = client.post(reverse("accounts-login"), {"username": "reader", "password": PASSWORD})
    assert response.status_code == 200
    assert b"disabled after 90 days" in response.content
    personas.reader.refresh_from_db()
    assert not personas.reader.is_active
    assert AuditEvent.objects.filter(
        action="account.disable", object_id=str(personas.reader.pk)
    ).exists()
