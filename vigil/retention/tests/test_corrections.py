from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from vigil.audit.models import AuditEvent
from vigil.retention import actions, hooks
from vigil.retention.models import InaccuracyReport
from vigil.tips.models import Selector


@pytest.fixture
def told():
    calls = []

    def notifier(tip, report, *, outcome, actor):
        calls.append((tip.pk, report.pk, outcome, actor.username))
        return 1

    hooks.register_correction_notifier(notifier)
    yield calls
    hooks.unregister_correction_notifier(notifier)


def test_it_records_who_reported_what(make_tip, personas):
    tip = make_tip("T-1", old=False)
    report = actions.do_report_inaccuracy(
        tip,
        reported_by="Field office Denver, SA Roe",
        what="The IP is the victim's ISP",
        actor=personas.investigator,
    )
    assert (report.reported_by, report.what, report.status) == (
        "Field office Denver, SA Roe",
        "The IP is the victim's ISP",
        "open",
    )
    event = AuditEvent.objects.get(action="correction.report")
    assert (
        event.object_id == str(tip.pk)
        and event.changes["reported_by"] == "Field office Denver, SA Roe"
    )
    for who in (personas.reader, personas.other_investigator, personas.admin):
        with pytest.raises(PermissionDenied):
            actions.do_report_inaccuracy(tip, reported_by="x", what="y", actor=who)
    with pytest.raises(ValidationError, match="What is inaccurate"):
        actions.do_report_inaccuracy(tip, reported_by="x", what=" ", actor=personas.investigator)
    assert InaccuracyReport.objects.count() == 1


def test_it_corrects_the_tip_after_a_managers_review_and_tells_the_receivers(
    make_tip, personas, told
):
    tip = make_tip("T-1", old=False, narrative="Suspect drives a red van")
    report = actions.do_report_inaccuracy(
        tip, reported_by="FO", what="The van is blue", actor=personas.investigator
    )
    with pytest.raises(PermissionDenied):
        actions.do_review_inaccuracy(
            report, outcome="corrected", note="n", narrative="x", actor=personas.investigator
        )
    actions.do_review_inaccuracy(
        report,
        outcome="corrected",
        note="confirmed with FO",
        narrative="Suspect drives a blue van",
        actor=personas.manager,
    )
    tip.refresh_from_db()
    report.refresh_from_db()
    assert tip.narrative == "Suspect drives a blue van"
    assert report.status == "corrected" and report.reviewed_by == personas.manager
    assert told == [(tip.pk, report.pk, "corrected", personas.manager.username)]
    update = AuditEvent.objects.get(action="tip.update", object_id=str(tip.pk))
    assert update.changes["narrative"]["before"] == "Suspect drives a red van"
    review = AuditEvent.objects.get(action="correction.review")
    assert review.changes["outcome"] == "corrected" and review.changes["receivers_told"] == 1
    with pytest.raises(ValidationError, match="reviewed already"):
        actions.do_review_inaccuracy(report, outcome="rejected", note="n", actor=personas.manager)


def test_it_removes_the_inaccurate_data_points(make_tip, personas, told):
    tip = make_tip("T-1", old=False)
    sel = Selector.objects.get(tip=tip, type="ip")
    report = actions.do_report_inaccuracy(
        tip, reported_by="FO", what="IP wrong", actor=personas.manager
    )
    with pytest.raises(ValidationError, match="Choose the inaccurate"):
        actions.do_review_inaccuracy(report, outcome="removed", note="n", actor=personas.manager)
    actions.do_review_inaccuracy(
        report, outcome="removed", note="ok", remove_selectors=[sel.pk], actor=personas.manager
    )
    assert not Selector.objects.filter(pk=sel.pk).exists()
    assert AuditEvent.objects.filter(action="tip.selector_remove", object_id=str(tip.pk)).exists()
    assert told[0][2] == "removed"


def test_it_changes_nothing_when_the_report_is_rejected(make_tip, personas, told):
    tip = make_tip("T-1", old=False, narrative="as it was")
    report = actions.do_report_inaccuracy(tip, reported_by="FO", what="?", actor=personas.manager)
    with pytest.raises(ValidationError, match="Review note"):
        actions.do_review_inaccuracy(report, outcome="rejected", note="", actor=personas.manager)
    report.refresh_from_db()
    assert report.status == "open"
    actions.do_review_inaccuracy(
        report, outcome="rejected", note="accurate", actor=personas.manager
    )
    tip.refresh_from_db()
    assert tip.narrative == "as it was" and told == []


def test_the_review_page_corrects_the_narrative(client, make_tip, personas, told):
    from django.urls import reverse

    tip = make_tip("T-1", old=False, narrative="old text")
    report = actions.do_report_inaccuracy(
        tip, reported_by="FO", what="wrong", actor=personas.manager
    )
    client.force_login(personas.manager)
    url = reverse("retention-correction-review", args=[report.pk])
    assert "old text" in client.get(url).content.decode()
    r = client.post(url, {"outcome": "corrected", "narrative": "new text", "note": "fixed"})
    assert r.status_code == 302
    tip.refresh_from_db()
    assert tip.narrative == "new text"


def test_the_referrals_receivers_are_told_of_a_correction(make_tip, personas):
    from django.utils import timezone

    from vigil.messaging.models import Message
    from vigil.referrals.models import Office, Referral, ReferralTip

    tip = make_tip("T-1", old=False, narrative="wrong")
    office = Office.objects.create(code="den", name="Denver FO", kind=Office.Kind.values[0])
    referral = Referral.objects.create(
        tip=tip, office=office, status="sent", sent_at=timezone.now(), created_by=personas.manager
    )
    ReferralTip.objects.create(referral=referral, tip=tip)
    report = actions.do_report_inaccuracy(
        tip, reported_by="Denver FO", what="x", actor=personas.manager
    )
    actions.do_review_inaccuracy(
        report, outcome="corrected", note="fixed", narrative="right", actor=personas.manager
    )
    notice = AuditEvent.objects.get(action="referral.correction")
    assert notice.object_id == str(referral.pk) and notice.changes["tip"] == tip.pk
    assert Message.objects.filter(
        recipient=personas.investigator, subject__contains="Denver FO"
    ).exists()
    assert AuditEvent.objects.get(action="correction.review").changes["receivers_told"] == 1
