import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from vigil.audit import head
from vigil.audit.log import record
from vigil.audit.models import AuditEvent
from vigil.audit.verify import verify_chain


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run commit callbacks (the head moves) as a real commit would."""

    def run(fn):
        with django_capture_on_commit_callbacks(execute=True):
            return fn()

    return run


@pytest.mark.django_db
def test_it_chains_each_event_onto_the_previous(personas, committed):
    first, second = committed(
        lambda: (
            record("test.one", actor=personas.manager),
            record(
                "test.two",
                actor=personas.manager,
                changes={"password": {"before": "x", "after": "y"}},
            ),
        )
    )
    assert second.prev_hash == first.hash and second.id == first.id + 1
    assert first.mac and first.mac_key
    report = verify_chain()
    assert report.intact, report.problems
    assert report.checked == AuditEvent.objects.count() and report.head.id == second.id


@pytest.mark.django_db
def test_it_names_the_altered_event(personas, committed):
    events = committed(lambda: [record(f"test.{i}", actor=personas.manager) for i in range(5)])
    _tamper("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["edited", events[2].id])
    with pytest.raises(CommandError, match=f"#{events[2].id}"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_it_names_the_event_after_a_removed_one(personas, committed):
    events = committed(lambda: [record(f"test.{i}", actor=personas.manager) for i in range(5)])
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    with pytest.raises(CommandError, match=f"#{events[2].id}"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_it_reports_an_intact_chain(capsys, personas, committed):
    committed(lambda: record("test.ok", actor=personas.manager))
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "audit chain intact: 1 events verified." in out and "chain head: #" in out


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
def test_it_refuses_update_and_delete_on_postgresql(personas):
    from django.db import DatabaseError

    event = record("test.pg", actor=personas.manager)
    for sql in (
        "UPDATE audit_auditevent SET summary='x' WHERE id=%s",
        "DELETE FROM audit_auditevent WHERE id=%s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.id])


# --- the chain head outside the database ------------------------------------------


@pytest.mark.django_db
def test_it_keeps_the_head_outside_the_database_with_its_own_mac(committed, settings):
    events = committed(lambda: [record(f"test.{i}") for i in range(3)])
    data = json.loads(Path(settings.AUDIT_HEAD_FILE).read_text())
    assert data["id"] == events[-1].id and data["mac"] == events[-1].mac
    assert data["since"] == events[0].id and data["head_mac"]
    assert oct(Path(settings.AUDIT_HEAD_FILE).stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_it_reports_a_missing_head(committed, settings):
    committed(lambda: record("test.one"))
    Path(settings.AUDIT_HEAD_FILE).unlink()
    with pytest.raises(CommandError, match="chain head .* is missing"):
        call_command("verify_audit")
    # …and does not quietly start a new one with the next event.
    committed(lambda: record("test.two"))
    assert not Path(settings.AUDIT_HEAD_FILE).exists()


@pytest.mark.django_db
def test_it_reports_a_forged_head(committed, settings):
    events = committed(lambda: [record(f"test.{i}") for i in range(3)])
    p = Path(settings.AUDIT_HEAD_FILE)
    data = json.loads(p.read_text())
    data.update(id=events[0].id, hash=events[0].hash, mac=events[0].mac)  # hide two events
    p.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="chain head .* does not verify"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_it_leaves_the_head_alone_when_the_transaction_rolls_back(committed, settings):
    kept = committed(lambda: record("test.kept"))

    class Boom(Exception):
        pass

    def rolled_back():
        with pytest.raises(Boom), transaction.atomic():
            record("test.rolled_back")
            raise Boom

    committed(rolled_back)
    assert head.read().id == kept.id
    assert verify_chain().intact


@pytest.mark.django_db
def test_it_moves_the_head_forward_only_when_callbacks_finish_out_of_order(settings):
    # Two processes commit #1 and #2; #2's callback runs first.
    a = record("test.a")
    head.advance(a.id, a.hash, a.mac, a.prev_hash)
    b, c = record("test.b"), record("test.c")
    head.advance(c.id, c.hash, c.mac, c.prev_hash)  # chains back to #a through #b
    head.advance(b.id, b.hash, b.mac, b.prev_hash)  # late: must not move it back
    assert head.read().id == c.id
    assert verify_chain().intact


@pytest.mark.django_db
def test_a_commit_of_several_events_moves_the_head_without_hashing_them_again(
    committed, monkeypatch
):
    committed(lambda: record("test.first"))

    def rehashed(self):  # the events are this process's own, found committed as written
        raise AssertionError("a row of this commit was read back and hashed again")

    monkeypatch.setattr(AuditEvent, "hash_matches", rehashed)
    events = committed(lambda: [record(f"test.batch{i}") for i in range(3)])
    assert head.read().id == events[-1].id
    monkeypatch.undo()
    assert verify_chain().intact
    # Rows of another process between the head and this commit's: read and hashed as before.
    calls = []
    monkeypatch.setattr(AuditEvent, "hash_matches", lambda self: calls.append(self.id) or True)
    other = record("test.other")  # committed elsewhere; its callback has not run
    mine = record("test.mine")
    head.advance(
        mine.id,
        mine.hash,
        mine.mac,
        mine.prev_hash,
        batch=[(mine.id, mine.hash, mine.mac, mine.prev_hash)],
    )
    assert head.read().id == mine.id and calls == [events[-1].id, other.id, mine.id]


@pytest.mark.django_db
def test_it_does_not_carry_the_head_over_a_cut_chain(committed, caplog):
    events = committed(lambda: [record(f"test.{i}") for i in range(4)])
    _tamper("DELETE FROM audit_auditevent WHERE id >= %s", [events[2].id])
    # The next real events chain onto the cut chain and reuse the ids.
    committed(lambda: [record(f"test.after{i}") for i in range(3)])
    assert head.read().id == events[-1].id
    assert "does not chain back" in caplog.text
    with pytest.raises(CommandError, match="not the event the chain head names"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_it_resets_the_head_after_an_investigation(committed, settings, capsys):
    committed(lambda: record("test.one"))
    Path(settings.AUDIT_HEAD_FILE).unlink()
    call_command("verify_audit", "--reset-head")
    event = AuditEvent.objects.get(action="audit.head_reset")
    assert "is missing" in event.summary
    assert head.read().id == event.id
    call_command("verify_audit")


# --- legacy rows and key rotation ----------------------------------------------------


def _legacy_row(action: str) -> AuditEvent:
    """A row as the code before MACs wrote it: hash-chained, no MAC, id from the sequence."""
    from django.utils import timezone

    from vigil.audit.log import GENESIS

    last = AuditEvent.objects.order_by("-id").first()
    event = AuditEvent(
        id=(last.id + 1) if last else 1,
        at=timezone.now(),
        action=action,
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    return event


@pytest.mark.django_db
def test_it_accepts_legacy_rows_before_the_mac_boundary(committed, capsys):
    legacy = [_legacy_row(f"old.{i}") for i in range(3)]
    first_mac = committed(lambda: record("test.new"))
    assert first_mac.prev_hash == legacy[-1].hash
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"3 legacy event(s) before #{first_mac.id} carry no MAC" in out
    # Once sealed, a change to a legacy row is caught like any other.
    _tamper("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [legacy[1].id])
    with pytest.raises(CommandError, match=f"#{legacy[1].id}: its contents"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_it_verifies_rows_macd_with_a_retired_key_after_rotation(committed, settings):
    settings.AUDIT_KEY = "the first audit key"
    committed(lambda: [record(f"test.old{i}") for i in range(2)])
    settings.AUDIT_KEY, settings.AUDIT_OLD_KEYS = "the second audit key", ["the first audit key"]
    committed(lambda: [record(f"test.new{i}") for i in range(2)])
    report = verify_chain()
    assert report.intact, report.problems
    assert sorted(report.by_key.values()) == [2, 2]
    settings.AUDIT_OLD_KEYS = []  # the retired key was thrown away too early
    with pytest.raises(CommandError, match="which is not configured"):
        call_command("verify_audit")


# --- several processes ---------------------------------------------------------------

DRIVER = textwrap.dedent(
    """
    import multiprocessing, sys
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from vigil.audit.log import record

    procs, per_proc = int(sys.argv[1]), int(sys.argv[2])
    if connection.vendor == "sqlite":
        call_command("migrate", "audit", verbosity=0)
    connections.close_all()  # each forked writer opens its own connection

    def write(tag):
        for i in range(per_proc):
            record("test.proc", summary=f"{tag}-{i}")
        connections.close_all()

    fork = multiprocessing.get_context("fork")
    writers = [fork.Process(target=write, args=(f"p{n}",)) for n in range(procs)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert [w.exitcode for w in writers] == [0] * procs, [w.exitcode for w in writers]
    call_command("verify_audit")
    """
)


def _database_url(tmp_path) -> str:
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{tmp_path / 'procs.sqlite3'}"


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_chain_and_one_head_with_several_writing_processes(tmp_path, settings):
    # Four processes (forked after one Django start-up) write 40 events each at once.
    procs, per_proc = 4, 40
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vigil.settings",
        "VIGIL_TESTING": "1",
        "DATABASE_URL": _database_url(tmp_path),
        "VIGIL_AUDIT_HEAD_FILE": str(settings.AUDIT_HEAD_FILE),
        "VIGIL_AUDIT_KEY": "a key for the writers",
        "VIGIL_DATA_DIR": str(django_settings.DATA_DIR),
    }
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", DRIVER, str(procs), str(per_proc)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert f"audit chain intact: {procs * per_proc} events verified." in out.stdout
    assert "after the head" not in out.stdout
    assert json.loads(Path(settings.AUDIT_HEAD_FILE).read_text())["id"] == procs * per_proc
    assert "audit head" not in out.stderr  # no refusal was logged


@pytest.mark.django_db
def test_it_mirrors_each_head_update_to_syslog(committed, settings):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    settings.AUDIT_SYSLOG = f"127.0.0.1:{server.getsockname()[1]}"
    try:
        event = committed(lambda: record("test.syslog"))
        line = server.recv(4096).decode()
    finally:
        server.close()
    assert f"vigil-audit head id={event.id} mac={event.mac}" in line


@pytest.mark.django_db
def test_it_moves_the_head_without_fsync_when_told(committed, settings, monkeypatch):
    synced = []
    monkeypatch.setattr(head.os, "fsync", lambda fd: synced.append(fd))
    settings.AUDIT_HEAD_SYNC = False
    first = committed(lambda: record("test.nosync"))
    assert head.read().id == first.id and synced == []
    settings.AUDIT_HEAD_SYNC = True
    second = committed(lambda: record("test.sync"))
    assert head.read().id == second.id and len(synced) == 1
