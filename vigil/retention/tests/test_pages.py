"""Role matrix for every page of the records lifecycle."""

from __future__ import annotations

from django.urls import reverse

from vigil.retention import actions
from vigil.retention.models import DeletionProposal, InaccuracyReport, LegalHold
from vigil.testing.roles import check_roles
from vigil.tips.models import Tip


def test_it_guards_the_disposition_page(client, personas, make_tip):
    make_tip("OLD-1")
    check_roles(
        client,
        personas,
        "get",
        reverse("retention-disposition"),
        audit_action="retention.disposition_view",
    )
    client.force_login(personas.manager)
    body = client.get(reverse("retention-disposition")).content.decode()
    assert "OLD-1" in body and "Propose deletion" in body
    assert client.get(reverse("retention-disposition") + "?kind=nope").status_code == 400


def test_it_guards_proposing(client, personas, make_tip):
    tip = make_tip("OLD-1")

    def reset():
        DeletionProposal.objects.all().delete()

    check_roles(
        client,
        personas,
        "post",
        reverse("retention-propose"),
        setup=reset,
        data={"kind": "tip", "object_id": tip.pk, "reason": "expired"},
        audit_action="retention.propose",
    )


def test_it_guards_approving_and_rejecting(client, personas, make_tip):
    tip = make_tip("OLD-1")
    proposal = actions.do_propose_deletion("tip", tip.pk, reason="expired", actor=personas.manager)
    check_roles(
        client,
        personas,
        "post",
        reverse("retention-reject", args=[proposal.pk]),
        data={"note": "keep"},
        setup=lambda: DeletionProposal.objects.filter(pk=proposal.pk).update(status="proposed"),
        audit_action="retention.reject",
    )
    DeletionProposal.objects.filter(pk=proposal.pk).update(status="proposed")
    check_roles(
        client,
        personas,
        "post",
        reverse("retention-approve", args=[proposal.pk]),
        audit_action="retention.delete",
    )
    assert not Tip.objects.filter(pk=tip.pk).exists()


def test_it_guards_the_hold_pages(client, personas, make_tip):
    tip = make_tip("OLD-1")
    check_roles(client, personas, "get", reverse("retention-holds"))

    def reset():
        LegalHold.objects.all().delete()

    check_roles(
        client,
        personas,
        "post",
        reverse("retention-holds"),
        setup=reset,
        data={"name": "Hold A", "reason": "litigation", "kind": "tip", "ids": str(tip.pk)},
        audit_action="hold.place",
    )
    hold = actions.do_place_hold(
        name="Hold B", reason="r", items=[("tip", tip.pk)], actor=personas.manager
    )
    check_roles(client, personas, "get", reverse("retention-hold", args=[hold.pk]))
    other = make_tip("OLD-2")
    check_roles(
        client,
        personas,
        "post",
        reverse("retention-hold", args=[hold.pk]),
        data={"kind": "tip", "ids": str(other.pk)},
        setup=lambda: hold.items.filter(object_id=other.pk).delete(),
        audit_action="hold.add",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("retention-hold-release", args=[hold.pk]),
        data={"reason": "closed"},
        setup=lambda: LegalHold.objects.filter(pk=hold.pk).update(released_at=None),
        audit_action="hold.release",
    )
    client.force_login(personas.manager)
    r = client.post(
        reverse("retention-holds"), {"name": "", "reason": "", "kind": "tip", "ids": ""}
    )
    assert r.status_code == 400 and "Name is required" in r.content.decode()


def test_it_shows_the_hold_on_the_tip_page_panel(client, personas, make_tip):
    tip = make_tip("OLD-1")
    actions.do_place_hold(
        name="Hold A", reason="r", items=[("tip", tip.pk)], actor=personas.manager
    )
    url = reverse("retention-tip-panel", args=[tip.pk])
    check_roles(client, personas, "get", url, audit_action="correction.list")
    client.force_login(personas.reader)
    body = client.get(url).content.decode()
    assert "Under legal hold" in body and "Hold A" in body
    assert "Record a field office" not in body
    client.force_login(personas.investigator)
    assert "Record a field office" in client.get(url).content.decode()
    assert url in client.get(reverse("tips-detail", args=[tip.pk])).content.decode()
    assert client.get(reverse("retention-tip-panel", args=[9999])).status_code == 404


def test_it_guards_recording_an_inaccuracy_report(client, personas, make_tip):
    tip = make_tip("NEW-1", old=False)
    check_roles(
        client,
        personas,
        "post",
        reverse("retention-report-inaccuracy", args=[tip.pk]),
        data={"reported_by": "Field office B, SA Doe", "what": "wrong phone"},
        audit_action="correction.report",
    )
    assert InaccuracyReport.objects.count() == 2


def test_it_guards_the_corrections_pages(client, personas, make_tip):
    tip = make_tip("NEW-1", old=False)
    report = actions.do_report_inaccuracy(
        tip, reported_by="FO", what="wrong", actor=personas.investigator
    )
    check_roles(client, personas, "get", reverse("retention-corrections"))
    url = reverse("retention-correction-review", args=[report.pk])
    check_roles(client, personas, "get", url)
    check_roles(
        client,
        personas,
        "post",
        url,
        data={"outcome": "rejected", "note": "checked, accurate"},
        setup=lambda: InaccuracyReport.objects.filter(pk=report.pk).update(status="open"),
        audit_action="correction.review",
    )


def test_it_guards_the_access_review(client, personas):
    check_roles(
        client,
        personas,
        "get",
        reverse("retention-access-review"),
        audit_action="access.review_view",
    )
    check_roles(
        client,
        personas,
        "post",
        reverse("retention-access-certify", args=[personas.reader.pk]),
        data={"outcome": "confirmed", "start": "2026-01-01", "end": "2026-12-31"},
        audit_action="access.certify",
    )


def test_it_shows_managers_the_lifecycle_on_the_dashboard(client, personas):
    client.force_login(personas.manager)
    assert (
        'data-testid="retention-dashboard"'
        in client.get(reverse("core-dashboard")).content.decode()
    )
    client.force_login(personas.reader)
    assert (
        'data-testid="retention-dashboard"'
        not in client.get(reverse("core-dashboard")).content.decode()
    )
