"""Issue 13, item 4: every refusal through the access module writes one `denied`
row (actor, action, object, request id), rate-limited so a loop cannot flood
the trail. On the code before the fix none of these refusals wrote anything."""

from __future__ import annotations

import pytest
from django.urls import reverse

from vigil.audit import actions as audit_actions
from vigil.audit.models import AuditEvent, Outcome
from vigil.tips import actions
from vigil.tips.models import Source


@pytest.fixture(autouse=True)
def _fresh_counters():
    audit_actions.reset_suppressed()
    yield
    audit_actions.reset_suppressed()


@pytest.fixture
def tip(personas):
    source = Source.objects.create(name="Field Office Alpha")
    t = actions.do_create_tip(
        actor=personas.manager, source=source, source_reference="FOA-1", narrative="n"
    )
    actions.do_assign_tip(t, personas.investigator, actor=personas.manager)
    return t


def _denied(user):
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).order_by("id")


def test_it_audits_a_404_for_a_tip_out_of_reach(client, personas, tip):
    client.force_login(personas.admin)
    r = client.get(reverse("tips-detail", args=[tip.pk]))
    assert r.status_code == 404
    [row] = _denied(personas.admin)
    assert (row.action, row.object_type, row.object_id) == ("access.read", "tips.tip", str(tip.pk))
    assert row.request_id == r["X-Request-ID"]
    assert row.changes["status"] == 404 and row.changes["path"] == f"/tips/{tip.pk}/"
    assert "not in the user's reach" in row.summary


def test_it_audits_a_probe_for_an_id_that_does_not_exist(client, personas):
    client.force_login(personas.reader)
    assert client.get(reverse("tips-detail", args=[987654])).status_code == 404
    [row] = _denied(personas.reader)
    assert row.object_id == "987654" and "no such record" in row.summary


def test_it_audits_a_403_for_a_tip_seen_but_not_changeable(client, personas, tip):
    client.force_login(personas.other_investigator)
    r = client.post(reverse("tips-priority", args=[tip.pk]), {"priority": "1"})
    assert r.status_code == 403
    [row] = _denied(personas.other_investigator)
    assert (row.action, row.object_id, row.changes["status"]) == ("access.write", str(tip.pk), 403)
    assert row.changes["method"] == "POST"


def test_it_audits_a_page_the_role_does_not_give(client, personas):
    client.force_login(personas.admin)
    assert client.get(reverse("tips-queue")).status_code == 403
    [row] = _denied(personas.admin)
    assert (row.action, row.object_type, row.object_id) == ("access.use", "url", "tips-queue")


def test_it_keeps_the_row_when_the_refused_action_rolled_back(rf, personas, tip):
    # The refusal happens inside the action's transaction, which it rolls back;
    # the middleware writes the row after the view, outside that transaction.
    from django.core.handlers.exception import convert_exception_to_response
    from django.db import transaction

    from vigil.accounts import access
    from vigil.audit.middleware import DeniedAuditMiddleware

    def view(request):
        with transaction.atomic():
            access.ensure(request.user, access.WRITE, tip)

    request = rf.post("/somewhere/")
    request.user = personas.reader
    response = DeniedAuditMiddleware(convert_exception_to_response(view))(request)
    assert response.status_code == 403
    [row] = _denied(personas.reader)
    assert row.action == "access.write" and row.changes["path"] == "/somewhere/"


def test_it_writes_one_row_for_a_loop_on_one_record_and_counts_the_rest(
    client, personas, tip, settings
):
    settings.AUDIT_DENIED_WINDOW_SECONDS = 3600
    client.force_login(personas.admin)
    url = reverse("tips-detail", args=[tip.pk])
    for _ in range(50):
        assert client.get(url).status_code == 404
    assert _denied(personas.admin).count() == 1
    # The window passes: the next refusal writes a row that counts the 49 folded ones.
    settings.AUDIT_DENIED_WINDOW_SECONDS = 0
    client.get(url)
    rows = list(_denied(personas.admin))
    assert len(rows) == 2 and rows[-1].changes["suppressed"] == 49


def test_it_caps_the_rows_of_one_user_walking_ids(client, personas, settings):
    settings.AUDIT_DENIED_MAX_PER_WINDOW = 10
    settings.AUDIT_DENIED_WINDOW_SECONDS = 3600  # however slow the machine
    client.force_login(personas.reader)
    for pk in range(1000, 1040):
        client.get(reverse("tips-detail", args=[pk]))
    assert _denied(personas.reader).count() == 10
    # Other users are not silenced by one user's loop.
    client.force_login(personas.manager)
    client.get(reverse("tips-detail", args=[5555]))
    assert _denied(personas.manager).count() == 1


def test_it_audits_a_refusal_outside_a_request(personas, tip):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_set_priority(tip, 1, actor=personas.reader)
    [row] = _denied(personas.reader)
    assert row.action == "access.write" and row.object_id == str(tip.pk)
