"""`vigil demo_setup`: the demo shows IP deconfliction working (issue 15)."""

from django.core.management import call_command

from vigil.audit.models import AuditEvent
from vigil.deconfliction.models import Flag, WarningListEntry


def test_it_shows_ip_flags_in_the_demo_data(db, capsys, settings, tmp_path):
    settings.MEDIA_STORE_DIR = tmp_path / "media"
    call_command("demo_setup")
    out = capsys.readouterr().out
    assert "stand in for public addresses" in out
    assert not WarningListEntry.objects.active().filter(value="203.0.113.0/24").exists()
    assert AuditEvent.objects.filter(action="deconfliction.warning_remove").count() == 2
    assert Flag.objects.filter(type="ip").exists()
    # run twice: nothing more removed, nothing doubled
    flags = Flag.objects.count()
    call_command("demo_setup")
    assert Flag.objects.count() == flags
    assert AuditEvent.objects.filter(action="deconfliction.warning_remove").count() == 2
