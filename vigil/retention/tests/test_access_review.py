from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigil.audit.log import record
from vigil.audit.models import AuditEvent
from vigil.retention import actions, reviews
from vigil.retention.models import AccessCertification

PERIOD = reviews.ReviewPeriod(dt.date(2026, 1, 1), dt.date(2026, 6, 30))


def _event(action, user, object_type, object_id, at):
    # Audit rows are append-only (PostgreSQL refuses UPDATE): write them at that time.
    from unittest import mock

    with mock.patch("vigil.audit.log.timezone.now", return_value=at):
        record(action, actor=user, object_type=object_type, object_id=object_id)


@pytest.fixture
def activity(personas):
    ivan = personas.investigator
    inside = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    for oid in (1, 1, 2):
        _event("tip.view", ivan, "tips.tip", oid, inside)
    _event("tip.update", ivan, "tips.tip", 1, inside)
    _event("tip.export", ivan, "tips.tip", "", inside)
    _event("media.reveal", ivan, "victimid.media", 7, inside)
    _event("series.update", ivan, "victimid.series", 3, inside)
    _event("login", ivan, "", "", inside)
    _event("tip.view", ivan, "tips.tip", 9, dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC))  # after
    _event(
        "tip.view", ivan, "tips.tip", 8, dt.datetime(2026, 6, 30, 23, 59, tzinfo=dt.UTC)
    )  # last minute
    TOTPDevice.objects.create(user=ivan, name="phone", confirmed=True)
    type(ivan).objects.filter(pk=ivan.pk).update(last_login=inside)
    return ivan


def test_it_reports_each_users_role_sign_in_mfa_and_activity_by_kind(activity, personas):
    rows = {r.user.username: r for r in reviews.build(PERIOD)}
    ivan = rows[activity.username]
    assert ivan.mfa is True and rows[personas.reader.username].mfa is False
    assert ivan.last_sign_in == dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    assert ivan.user.role_label == "Investigator"
    assert ivan.by_kind["tips.tip"]["read"] == (3, 4)  # tips 1, 2, 8; four views
    assert ivan.by_kind["tips.tip"]["changed"] == (1, 1)
    assert ivan.by_kind["tips.tip"]["exported"][1] == 1
    assert ivan.by_kind["victimid.media"]["revealed"] == (1, 1)
    assert ivan.by_kind["victimid.series"]["changed"] == (1, 1)
    assert ivan.totals == {"read": 3, "changed": 2, "exported": 1, "revealed": 1}
    assert "(no record)" not in ivan.by_kind  # sign-ins are not record access
    assert rows[personas.reader.username].totals == {
        "read": 0,
        "changed": 0,
        "exported": 0,
        "revealed": 0,
    }


def test_it_records_a_managers_certification(activity, personas, client):
    review = reviews.build(PERIOD, users=type(activity).objects.filter(pk=activity.pk))[0]
    cert = actions.do_certify_access(
        activity,
        period=PERIOD,
        outcome="confirmed",
        figures=review.figures(),
        actor=personas.manager,
    )
    assert cert.figures["totals"]["read"] == 3 and cert.certified_by == personas.manager
    assert AuditEvent.objects.filter(action="access.certify", object_id=str(activity.pk)).exists()
    with pytest.raises(PermissionDenied):
        actions.do_certify_access(
            personas.manager, period=PERIOD, outcome="confirmed", figures={}, actor=personas.manager
        )
    with pytest.raises(PermissionDenied):
        actions.do_certify_access(
            activity, period=PERIOD, outcome="confirmed", figures={}, actor=personas.admin
        )
    from django.urls import reverse

    client.force_login(personas.manager)
    body = client.get(
        reverse("retention-access-review") + "?start=2026-01-01&end=2026-06-30"
    ).content.decode()
    assert 'data-testid="certified"' in body
    assert (
        client.get(reverse("retention-access-review") + "?start=2026-13-01&end=x").status_code
        == 400
    )
    assert AccessCertification.objects.count() == 1
