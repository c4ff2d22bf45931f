"""One audit outcome vocabulary (success / denied / failed): issue 13 item 15."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from vigil.audit.log import GENESIS, record
from vigil.audit.models import AuditEvent, Outcome
from vigil.audit.verify import verify_chain


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def _listed(client, **params):
    response = client.get(reverse("audit-list"), params)
    assert response.status_code == 200
    return response, [e.action for e in response.context["page"]]


def test_it_lists_a_failed_match_request_under_the_failed_filter(client, personas):
    # Attack (on the trail's usefulness): a failed match request was written as
    # "failure", so an auditor filtering for failed events never saw it.
    from vigil.victimid.actions import do_finish_match_request
    from vigil.victimid.models import MatchRequest

    mr = MatchRequest.objects.create(
        requesting_agency="Agency", case_number="C-1", submitted_by=personas.investigator
    )
    do_finish_match_request(mr, failed="the hash list could not be read")
    client.force_login(personas.manager)
    _, actions = _listed(client, outcome="failed")
    assert "matchrequest.finish" in actions
    assert set(AuditEvent.objects.values_list("outcome", flat=True)) <= set(Outcome.values)


def test_it_refuses_an_outcome_outside_the_vocabulary(db):
    with pytest.raises(ValueError, match="not one of success, denied, failed"):
        record("test.odd", outcome="failure")
    assert not AuditEvent.objects.exists()


def test_it_reads_the_old_spelling_in_the_filter_and_explains_an_unknown_one(client, personas):
    record("login", actor_username="ghost", outcome=Outcome.FAILED)
    record("login", actor_username="maria", outcome=Outcome.SUCCESS)
    client.force_login(personas.manager)
    response, actions = _listed(client, outcome="failure")
    assert actions == ["login"] and response.context["page"][0].outcome == "failed"
    response, _ = _listed(client, outcome="broken")
    assert "Outcome must be one of: success, denied, failed." in response.content.decode()


def _write_legacy_failure_row() -> AuditEvent:
    """A row as the old code wrote it: outcome "failure", hashed under that spelling."""
    event = AuditEvent(
        id=1,
        at=timezone.now(),
        action="matchrequest.finish",
        outcome="failure",
        prev_hash=GENESIS,
        summary="old row",
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    return event


def test_it_migrates_failure_rows_to_failed_and_the_chain_still_verifies(
    db, django_capture_on_commit_callbacks
):
    legacy = _write_legacy_failure_row()
    with django_capture_on_commit_callbacks(execute=True):
        record("test.after", outcome=Outcome.SUCCESS)
    migration = importlib.import_module("vigil.audit.migrations.0003_one_outcome_vocabulary")
    migration.forwards(None, SimpleNamespace(connection=connection))
    legacy.refresh_from_db()
    assert legacy.outcome == Outcome.FAILED
    report = verify_chain()
    assert report.intact, report.problems
    assert report.checked == 2 and report.legacy == 1
