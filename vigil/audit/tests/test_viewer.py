import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from vigil.audit.log import record
from vigil.audit.models import AuditEvent
from vigil.testing.roles import check_roles


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def test_it_shows_the_trail_to_administrators_and_managers_only(client, personas):
    check_roles(client, personas, "get", reverse("audit-list"), audit_action="audit.view")


def test_it_exports_only_for_administrators_and_managers_and_audits_it(client, personas):
    check_roles(
        client,
        personas,
        "get",
        reverse("audit-export"),
        audit_action="audit.export",
    )


def test_it_filters_by_user_action_object_outcome_and_date(client, personas):
    record("tip.view", actor=personas.investigator, object_type="tips.tip", object_id=7)
    record("tip.update", actor=personas.manager, object_type="tips.tip", object_id=8)
    record("login", actor_username="ghost", outcome="failed")
    client.force_login(personas.manager)

    def actions(**params):
        response = client.get(reverse("audit-list"), params)
        assert response.status_code == 200
        return sorted((e.action, e.actor_username) for e in response.context["page"])

    today = timezone.now().date()
    assert actions(user="IVAN") == [("tip.view", "ivan")]
    assert actions(action="tip.") == [("tip.update", "maria"), ("tip.view", "ivan")]
    assert actions(object_type="tips.tip", object_id="8") == [("tip.update", "maria")]
    assert actions(outcome="failed") == [("login", "ghost")]
    # Dates are whole UTC days, both ends included.
    day = dt.timedelta(days=1)
    assert len(actions(action="tip.", since=today.isoformat(), until=today.isoformat())) == 2
    assert actions(action="tip.", until=(today - day).isoformat()) == []
    assert actions(action="tip.", since=(today + day).isoformat()) == []


def test_it_says_what_is_wrong_with_a_bad_date(client, personas):
    client.force_login(personas.admin)
    response = client.get(reverse("audit-list"), {"since": "yesterday"})
    assert response.status_code == 200
    assert b"Since must be a date like" in response.content
    response = client.get(reverse("audit-export"), {"until": "31/12/2026"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_it_exports_filtered_csv_with_formulas_escaped(client, personas):
    record(
        "note.add",
        actor=personas.investigator,
        summary='=HYPERLINK("http://evil.example","click")',
    )
    record("tip.view", actor=personas.manager)
    client.force_login(personas.admin)
    response = client.get(reverse("audit-export"), {"action": "note."})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "at", "user", "action"]
    assert len(rows) == 2
    assert rows[1][3] == "note.add"
    assert rows[1][9].startswith("'=HYPERLINK")
    client.get(reverse("audit-list"))  # an audit.view row with changes: none
    record(
        "account.update", actor=personas.admin, changes={"agency": {"before": "", "after": "HQ"}}
    )
    response = client.get(reverse("audit-export"), {"action": "account.update"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert json.loads(rows[1][10]) == {"agency": {"after": "HQ", "before": ""}}
    export = AuditEvent.objects.filter(action="audit.export").first()
    assert export.actor == personas.admin and "1 events" in export.summary
    assert AuditEvent.objects.filter(action="audit.export").count() == 2


def test_it_pages_through_many_events(client, personas):
    for i in range(130):
        record(f"test.{i}", actor=personas.manager)
    client.force_login(personas.manager)
    first = client.get(reverse("audit-list"), {"action": "test."})
    assert len(first.context["page"]) == 100 and first.context["page"].has_next()
    second = client.get(reverse("audit-list"), {"action": "test.", "page": 2})
    assert len(second.context["page"]) == 30


def test_it_offers_the_actions_in_the_trail_as_choices(client, personas):
    from vigil.audit.log import record

    for action in ("media.reveal", "tip.view", "tip.update", "login"):
        record(action, actor=personas.manager)
    client.force_login(personas.manager)
    response = client.get(reverse("audit-list"))
    groups = dict(response.context["actions"])
    assert ("media.reveal", "media.reveal") in groups["media"]
    assert groups["tip"][0] == ("tip.", "every tip action")
    assert groups["login"] == [("login", "login")]
    page = response.content.decode()
    assert '<select name="action"' in page and 'value="media.reveal"' in page
    # A chosen action is exact; a family takes all of it.
    exact = client.get(reverse("audit-list"), {"action": "tip.view"}).context["page"]
    assert {e.action for e in exact} == {"tip.view"}
    family = client.get(reverse("audit-list"), {"action": "tip."}).context["page"]
    assert {"tip.view", "tip.update"} <= {e.action for e in family}


def test_the_action_choices_cost_a_handful_of_queries_whatever_the_trail(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vigil.audit import queries
    from vigil.audit.log import record

    for i in range(40):
        record(f"bench.a{i % 5}", actor=personas.manager)
    with CaptureQueriesContext(connection) as ctx:
        assert [a for a in queries.known_actions() if a.startswith("bench.")] == [
            f"bench.a{i}" for i in range(5)
        ]
    assert len(ctx.captured_queries) == 1
