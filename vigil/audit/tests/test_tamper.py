"""Eleven ways someone with write access to the database (but not to the
application server's keys or data directory) tampers with the audit trail.

Each test does one attack with plain SQL and the project's own hash function,
then expects `vigil verify_audit` to fail naming what happened. On the code
before the keyed MAC and the chain head (issue 13 item 2) the first five were
detected and the last six passed as "intact". The tests only use `record`,
SQL and `AuditEvent.compute_hash`, so they run unchanged against that code.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from vigil.audit.log import record
from vigil.audit.models import AuditEvent

N = 120


@pytest.fixture
def chain(db, django_capture_on_commit_callbacks):
    # Commit callbacks run as they would after each real commit: the head moves.
    with django_capture_on_commit_callbacks(execute=True):
        events = [
            record(f"test.event{i}", object_type="tips.tip", object_id=i, summary=f"event {i}")
            for i in range(N)
        ]
    return [AuditEvent.objects.get(pk=e.pk) for e in events]


def _sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def _delete(events) -> None:
    for e in events:
        _sql("DELETE FROM audit_auditevent WHERE id = %s", [e.id])


def _rechain(rows, prev_hash: str) -> None:
    """What a careful attacker does: recompute every later link with compute_hash."""
    for row in rows:
        row.prev_hash = prev_hash
        row.hash = row.compute_hash()
        _sql(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s, summary = %s WHERE id = %s",
            [row.prev_hash, row.hash, row.summary, row.id],
        )
        prev_hash = row.hash


def _fails(match: str) -> str:
    with pytest.raises(CommandError, match=match) as info:
        call_command("verify_audit")
    return str(info.value)


def test_it_detects_an_altered_row(chain):
    _sql("UPDATE audit_auditevent SET summary = 'edited' WHERE id = %s", [chain[50].id])
    _fails(f"#{chain[50].id}: its contents do not match its hash")


def test_it_detects_a_deleted_row(chain):
    _delete([chain[50]])
    _fails(f"#{chain[51].id}: its previous-hash does not match")


def test_it_detects_an_altered_first_row(chain):
    _sql("UPDATE audit_auditevent SET actor_username = 'x' WHERE id = %s", [chain[0].id])
    _fails(f"#{chain[0].id}: its contents do not match")


def test_it_detects_a_deleted_first_row(chain):
    _delete([chain[0]])
    _fails(f"#{chain[1].id}: its previous-hash does not match")


def test_it_detects_an_altered_newest_row(chain):
    _sql("UPDATE audit_auditevent SET outcome = 'denied' WHERE id = %s", [chain[-1].id])
    _fails(f"#{chain[-1].id}: its contents do not match")


def test_it_detects_a_deleted_newest_row(chain):
    _delete([chain[-1]])
    _fails(f"#{chain[-1].id}.*: the newest 1 event\\(s\\) are missing")


def test_it_detects_a_deleted_tail_of_five(chain):
    _delete(chain[-5:])
    message = _fails("the newest 5 event\\(s\\) are missing")
    assert f"#{chain[-5].id}–#{chain[-1].id}" in message


def test_it_detects_that_all_rows_were_deleted(chain):
    _delete(chain)
    _fails(f"all events are missing.*#{chain[-1].id}")


def test_it_detects_row_100_altered_and_every_later_hash_recomputed(chain):
    rows = chain[99:]
    rows[0].summary = "nothing happened"
    _rechain(rows, chain[98].hash)
    message = _fails(f"#{chain[99].id}–#{chain[-1].id}: its MAC does not match")
    assert "contents do not match" not in message  # the hashes themselves are consistent


def test_it_detects_a_forged_row_appended_with_a_recomputed_hash(chain):
    last = chain[-1]
    forged = AuditEvent(
        id=last.id + 1,
        at=timezone.now(),
        action="tip.delete",
        object_type="tips.tip",
        object_id="7",
        summary="routine clean-up",
        prev_hash=last.hash,
    )
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)
    _fails(f"#{forged.id}: it has no MAC")


def test_it_detects_a_deleted_row_with_the_chain_recomputed_over_the_gap(chain):
    _delete([chain[60]])
    _rechain(chain[61:], chain[59].hash)
    _fails(f"#{chain[60].id}: 1 event\\(s\\) missing between")
