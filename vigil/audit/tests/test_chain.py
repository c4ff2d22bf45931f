import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from vigil.audit.log import record, verify
from vigil.audit.models import AuditEvent


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_it_chains_each_event_onto_the_previous(personas):
    first = record("test.one", actor=personas.manager)
    second = record(
        "test.two", actor=personas.manager, changes={"password": {"before": "x", "after": "y"}}
    )
    assert second.prev_hash == first.hash
    count, broken, _ = verify()
    assert broken is None and count == AuditEvent.objects.count()


@pytest.mark.django_db
def test_it_names_the_altered_event(personas):
    events = [record(f"test.{i}", actor=personas.manager) for i in range(5)]
    _tamper("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["edited", events[2].id])
    with pytest.raises(CommandError, match=f"#{events[2].id}"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_it_names_the_event_after_a_removed_one(personas):
    events = [record(f"test.{i}", actor=personas.manager) for i in range(5)]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    with pytest.raises(CommandError, match=f"#{events[2].id}"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_it_reports_an_intact_chain(capsys, personas):
    record("test.ok", actor=personas.manager)
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
def test_it_refuses_update_and_delete_on_postgresql(personas):
    from django.db import DatabaseError, transaction

    event = record("test.pg", actor=personas.manager)
    for sql in (
        "UPDATE audit_auditevent SET summary='x' WHERE id=%s",
        "DELETE FROM audit_auditevent WHERE id=%s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.id])
