"""Case values in the audit trail: only for those who may read the record (issue 13 item 5)."""

import csv
import io

import pytest
from django.urls import reverse

from vigil.audit.log import record
from vigil.tips import actions
from vigil.tips.models import Source

NARRATIVE = "Subject typed SSN 078-05-1120 and uses pat.suspect@example.com"
SECRETS = ("078-05-1120", "pat.suspect@example.com", "Subject typed", "FOA-77")


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


@pytest.fixture
def tip(personas):
    source = Source.objects.create(name="Field Office Alpha", kind=Source.Kind.FIELD_OFFICE)
    return actions.do_create_tip(
        actor=personas.manager, source=source, source_reference="FOA-77", narrative=NARRATIVE
    )


def _page(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("audit-list"), params)
    assert response.status_code == 200
    return response.content.decode()


def _csv(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("audit-export"), params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_it_hides_case_values_from_an_administrator_without_a_data_role(client, personas, tip):
    # Attack: an account administrator, who may not read tips, read the full
    # narrative (and an SSN typed into it) at /audit/?action=tip.create.
    page = _page(client, personas.admin, action="tip.create")
    for secret in SECRETS:
        assert secret not in page, secret
    assert "narrative" in page and "redacted" in page and "tip.create" in page
    assert "values redacted" in page


def test_it_hides_case_values_in_the_csv_export_from_an_administrator(client, personas, tip):
    rows = _csv(client, personas.admin, action="tip.create")
    assert len(rows) == 1
    text = rows[0]["changes"] + rows[0]["summary"]
    for secret in SECRETS:
        assert secret not in text, secret
    assert '"narrative": {' not in text  # a created value is not a before/after pair
    assert '"narrative": "redacted"' in rows[0]["changes"]
    assert rows[0]["summary"] == "redacted" and rows[0]["object_id"] == str(tip.pk)


def test_it_shows_case_values_to_a_user_who_may_read_the_record(client, personas, tip):
    assert NARRATIVE in _page(client, personas.manager, action="tip.create").replace("&#x27;", "'")
    rows = _csv(client, personas.manager, action="tip.create")
    assert "078-05-1120" in rows[0]["changes"] and rows[0]["summary"] == "Field Office Alpha FOA-77"


def test_it_still_shows_account_events_to_the_administrator(client, personas):
    record(
        "account.role_change",
        actor=personas.admin,
        obj=personas.reader,
        changes={"role": {"before": "reader", "after": "investigator"}},
    )
    rows = _csv(client, personas.admin, action="account.")
    assert '"after": "investigator"' in rows[0]["changes"]


def test_it_hides_a_private_message_from_a_manager_who_is_not_its_party(client, personas):
    from vigil.messaging.actions import do_send_message

    do_send_message(
        actor=personas.investigator,
        recipient=personas.reader,
        subject="about case FOA-77",
        body="x",
    )
    rows = _csv(client, personas.manager, action="message.")
    assert rows and all(r["summary"] == "redacted" for r in rows)


def test_it_decides_a_deleted_record_by_the_data_role(client, personas):
    record(
        "tip.delete",
        actor=personas.manager,
        object_type="tips.tip",
        object_id=999999,
        changes={"narrative": {"before": "gone narrative", "after": None}},
    )
    assert "gone narrative" in _csv(client, personas.manager, action="tip.delete")[0]["changes"]
    assert "gone narrative" not in _csv(client, personas.admin, action="tip.delete")[0]["changes"]
