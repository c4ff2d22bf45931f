from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command, get_commands
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.core.holds import HeldError
from vigil.deconfliction.models import Flag, Link
from vigil.retention import actions, rules
from vigil.retention.models import DeletionProposal
from vigil.retention.tests.conftest import link
from vigil.tips import actions as tip_actions
from vigil.tips.models import ResearchNote, Selector, Tip


def test_it_lists_only_records_past_retention(make_tip, personas):
    old = make_tip("OLD-1")
    make_tip("NEW-1", old=False)
    touched = make_tip("OLD-2")
    tip_actions.do_add_research_note(touched, actor=personas.manager, body="still working on it")
    assert list(rules.past_retention("tip").values_list("pk", flat=True)) == [old.pk]


def test_it_reads_the_retention_period_from_the_setting(make_tip, settings):
    recent = make_tip("NEW-1", old=False)
    assert not rules.is_past_retention("tip", recent.pk)
    settings.RETENTION_YEARS = 0
    assert rules.is_past_retention("tip", recent.pk)


def test_it_deletes_a_tip_after_a_second_managers_approval_and_leaves_a_tombstone(
    make_tip, personas, second_manager
):
    tip = make_tip("OLD-1")
    other = make_tip("OLD-2")
    Flag.objects.create(tip_a=tip, tip_b=other, type="ip", value="203.0.113.9", status="linked")
    tip_actions.do_add_research_note(tip, actor=personas.manager, body="note")
    link(tip, other, personas.manager)
    for t in (tip, other):
        from vigil.retention.tests.conftest import age

        age(t)
    assert Flag.objects.involving(tip.pk).exists()
    proposal = actions.do_propose_deletion(
        "tip", tip.pk, reason="75 years, no activity", actor=personas.manager
    )
    with pytest.raises(PermissionDenied, match="second Manager"):
        actions.do_approve_deletion(proposal, actor=personas.manager)
    assert Tip.objects.filter(pk=tip.pk).exists()
    removed = actions.do_approve_deletion(proposal, actor=second_manager, note="checked")
    assert not Tip.objects.filter(pk=tip.pk).exists()
    assert not Selector.objects.filter(tip_id=tip.pk).exists()
    assert not ResearchNote.objects.filter(tip_id=tip.pk).exists()
    assert not Flag.objects.involving(tip.pk).exists()
    assert (
        not Link.objects.filter(tip_a_id=tip.pk).exists()
        and not Link.objects.filter(tip_b_id=tip.pk).exists()
    )
    assert not DeletionProposal.objects.exists()
    assert Tip.objects.filter(pk=other.pk).exists()
    assert removed["tips.Tip"] == 1
    stone = AuditEvent.objects.get(action="retention.delete")
    assert (stone.object_type, stone.object_id) == ("tips.tip", str(tip.pk))
    assert stone.actor == second_manager and stone.at is not None
    assert "75 years, no activity" in stone.summary
    assert stone.changes["proposed_by"] == personas.manager.username
    assert "Suspect seen" not in json.dumps(stone.changes) + stone.summary


def test_it_lets_the_only_manager_approve_their_own_proposal(make_tip, personas):
    tip = make_tip("OLD-1")
    proposal = actions.do_propose_deletion("tip", tip.pk, reason="expired", actor=personas.manager)
    actions.do_approve_deletion(proposal, actor=personas.manager)
    assert not Tip.objects.filter(pk=tip.pk).exists()


def test_it_refuses_to_delete_a_record_within_retention(make_tip, personas):
    tip = make_tip("NEW-1", old=False)
    with pytest.raises(ValidationError, match="retention period"):
        actions.do_propose_deletion("tip", tip.pk, reason="x", actor=personas.manager)
    assert not DeletionProposal.objects.exists()


def test_it_refuses_a_proposal_from_anyone_but_a_manager(make_tip, personas):
    tip = make_tip("OLD-1")
    for who in (
        personas.reader,
        personas.investigator,
        personas.other_investigator,
        personas.admin,
    ):
        with pytest.raises(PermissionDenied):
            actions.do_propose_deletion("tip", tip.pk, reason="x", actor=who)


def test_a_held_record_survives_a_disposition_run(make_tip, personas, second_manager):
    held = make_tip("OLD-H")
    free = make_tip("OLD-F")
    late = make_tip("OLD-L")
    late_proposal = actions.do_propose_deletion(
        "tip", late.pk, reason="expired", actor=personas.manager
    )
    hold = actions.do_place_hold(
        name="US v. Example",
        reason="litigation",
        items=[("tip", held.pk), ("tip", late.pk)],
        actor=personas.manager,
    )
    # The disposition run: propose everything past retention that may go, approve it all.
    for obj in rules.past_retention("tip"):
        try:
            actions.do_propose_deletion("tip", obj.pk, reason="run", actor=personas.manager)
        except (HeldError, ValidationError):
            pass
    for proposal in DeletionProposal.objects.filter(status="proposed"):
        try:
            actions.do_approve_deletion(proposal, actor=second_manager)
        except HeldError:
            pass
    assert Tip.objects.filter(pk=held.pk).exists()
    assert Tip.objects.filter(pk=late.pk).exists()  # held after its proposal: still refused
    assert not Tip.objects.filter(pk=free.pk).exists()
    assert DeletionProposal.objects.filter(pk=late_proposal.pk).exists()
    actions.do_release_hold(hold, reason="case closed", actor=personas.manager)
    actions.do_approve_deletion(late_proposal, actor=second_manager)
    assert not Tip.objects.filter(pk=late.pk).exists()


def test_a_cluster_hold_covers_every_linked_tip(make_tip, personas):
    a, b, c = make_tip("OLD-A"), make_tip("OLD-B"), make_tip("OLD-C")
    link(a, b, personas.manager)
    actions.do_place_hold(
        name="Cluster hold", reason="r", items=[("cluster", a.pk)], actor=personas.manager
    )
    assert rules.holds_on("tip", b.pk) == ["Cluster hold"]
    assert rules.holds_on("tip", c.pk) == []
    actions.do_place_hold(name="Direct", reason="r", items=[("tip", b.pk)], actor=personas.manager)
    # The disposition page's batch answers what holds_on answers, tip by tip.
    ids = [a.pk, b.pk, c.pk]
    assert rules.held_ids("tip", ids) == {
        pk: names for pk in ids if (names := rules.holds_on("tip", pk))
    }
    assert rules.held_ids("tip", ids)[b.pk] == ["Cluster hold", "Direct"]
    with pytest.raises(HeldError):
        actions.do_propose_deletion("tip", b.pk, reason="x", actor=personas.manager)


def test_a_held_series_or_media_cannot_be_deleted_by_any_path(personas):
    from vigil.victimid import actions as vid
    from vigil.victimid.models import Media, Series

    series = vid.do_create_series(actor=personas.manager, data={"name": "Held series"})
    media = Media.objects.create(series=series, kind="unknown", md5="0" * 32)
    hold = actions.do_place_hold(
        name="H", reason="r", items=[("media", media.pk)], actor=personas.manager
    )
    with pytest.raises(HeldError):
        vid.do_delete_series(series, actor=personas.manager)
    assert Series.objects.filter(pk=series.pk).exists()
    actions.do_release_hold(hold, reason="done", actor=personas.manager)
    actions.do_place_hold(
        name="H2", reason="r", items=[("series", series.pk)], actor=personas.manager
    )
    assert rules.holds_on("media", media.pk) == ["H2"]
    with pytest.raises(HeldError):
        vid.do_delete_series(series, actor=personas.manager)
    refused = AuditEvent.objects.filter(action="series.delete", object_id=str(series.pk))
    # Two refusals within a minute: one row (the audit rate limit counts the second).
    assert {e.outcome for e in refused} == {"denied"}


def test_it_refuses_bad_hold_input_clearly(make_tip, personas):
    tip = make_tip("OLD-1")
    with pytest.raises(ValidationError, match="Name is required"):
        actions.do_place_hold(name=" ", reason="r", actor=personas.manager)
    with pytest.raises(ValidationError, match="no tip #999"):
        actions.do_place_hold(name="A", reason="r", items=[("tip", 999)], actor=personas.manager)
    from vigil.retention.models import LegalHold

    assert not LegalHold.objects.exists()  # the failed hold was rolled back whole
    actions.do_place_hold(name="A", reason="r", items=[("tip", tip.pk)], actor=personas.manager)
    with pytest.raises(ValidationError, match="exists already"):
        actions.do_place_hold(name="A", reason="r", actor=personas.manager)


# --- no other path deletes a tip ----------------------------------------------------------


def test_no_page_deletes_a_tip_within_retention_for_any_role(client, make_tip, personas):
    tip = make_tip("NEW-1", old=False)
    for who in (
        personas.reader,
        personas.investigator,
        personas.other_investigator,
        personas.manager,
        personas.admin,
    ):
        client.force_login(who)
        client.post(
            reverse("retention-propose"), {"kind": "tip", "object_id": tip.pk, "reason": "x"}
        )
        for url in (reverse("tips-detail", args=[tip.pk]), reverse("tips-edit", args=[tip.pk])):
            client.delete(url)
            client.post(url, {"_method": "DELETE"})
    assert Tip.objects.filter(pk=tip.pk).exists()
    assert not DeletionProposal.objects.exists()
    from django.urls import get_resolver

    names = [n for n in get_resolver().reverse_dict if isinstance(n, str)]
    assert not [n for n in names if n.startswith("tips-") and "delete" in n]


def test_no_api_call_deletes_a_tip_for_any_role(make_tip, personas):
    from rest_framework.test import APIClient

    from vigil.testing.personas import api_token

    tip = make_tip("NEW-1", old=False)
    old = make_tip("OLD-1")
    for who in (
        personas.reader,
        personas.investigator,
        personas.other_investigator,
        personas.manager,
        personas.admin,
    ):
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {api_token(who)}")
        for t in (tip, old):
            r = c.delete(f"/api/tips/{t.pk}/")
            assert r.status_code in (403, 404, 405), (who, r.status_code)
    assert Tip.objects.filter(pk__in=[tip.pk, old.pk]).count() == 2


def test_no_command_deletes_a_tip(make_tip):
    tip = make_tip("NEW-1", old=False)
    old = make_tip("OLD-1")
    out = io.StringIO()
    call_command("disposition", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [r["id"] for r in data["records"]] == [old.pk]
    assert Tip.objects.filter(pk__in=[tip.pk, old.pk]).count() == 2
    ours = [name for name, app in get_commands().items() if app.startswith("vigil")]
    # Other apps' clean-ups (expired shares, export packages) delete no tip; none names tips.
    deleting = ("delete", "purge", "dispose", "remove", "erase")
    assert not [n for n in ours if "tip" in n and any(w in n for w in deleting)]


def test_a_held_series_shows_its_hold_and_no_delete_button(client, personas):
    from vigil.victimid import actions as vid

    series = vid.do_create_series(actor=personas.manager, data={"name": "Shown series"})
    client.force_login(personas.manager)
    url = reverse("victimid-series-detail", args=[series.pk])
    assert "Delete series" in client.get(url).content.decode()
    actions.do_place_hold(
        name="Hold S", reason="r", items=[("series", series.pk)], actor=personas.manager
    )
    body = client.get(url).content.decode()
    assert "Under legal hold" in body and "Hold S" in body and "Delete series" not in body
    r = client.post(reverse("victimid-series-delete", args=[series.pk]))
    assert r.status_code == 302
    from vigil.victimid.models import Series

    assert Series.objects.filter(pk=series.pk).exists()


def test_it_deletes_a_series_and_its_media_past_retention(personas, second_manager):
    from vigil.retention.tests.conftest import OLD
    from vigil.victimid import actions as vid
    from vigil.victimid.models import Media, Series

    series = vid.do_create_series(actor=personas.manager, data={"name": "Old series"})
    media = Media.objects.create(series=series, kind="unknown", md5="1" * 32)
    loose = Media.objects.create(kind="unknown", md5="2" * 32)
    Series.objects.filter(pk=series.pk).update(updated_at=OLD)
    Media.objects.filter(pk__in=[media.pk, loose.pk]).update(updated_at=OLD)
    for kind, pk in (("series", series.pk), ("media", loose.pk)):
        p = actions.do_propose_deletion(kind, pk, reason="expired", actor=personas.manager)
        actions.do_approve_deletion(p, actor=second_manager)
    assert not Series.objects.filter(pk=series.pk).exists()
    assert not Media.objects.filter(pk__in=[media.pk, loose.pk]).exists()
    stones = AuditEvent.objects.filter(action="retention.delete")
    assert {(s.object_type, s.object_id) for s in stones} == {
        ("victimid.series", str(series.pk)),
        ("victimid.media", str(loose.pk)),
    }
    assert "Old series" not in " ".join(s.summary + json.dumps(s.changes) for s in stones)


def test_it_explains_what_still_refers_to_a_tip(make_tip, personas, second_manager):
    from django.utils import timezone

    from vigil.referrals.models import Office, Referral

    tip = make_tip("OLD-R")
    office = Office.objects.create(code="den", name="Denver FO", kind=Office.Kind.values[0])
    Referral.objects.create(
        tip=tip, office=office, status="sent", sent_at=timezone.now(), created_by=personas.manager
    )
    from vigil.retention.tests.conftest import age

    age(tip)
    p = actions.do_propose_deletion("tip", tip.pk, reason="expired", actor=personas.manager)
    with pytest.raises(ValidationError, match="still referred to by referrals"):
        actions.do_approve_deletion(p, actor=second_manager)
    assert Tip.objects.filter(pk=tip.pk).exists()
    assert DeletionProposal.objects.filter(pk=p.pk, status="proposed").exists()


def test_it_keeps_a_record_75_years_from_its_last_activity(make_tip, settings):
    import datetime as dt

    from django.utils import timezone

    from vigil.retention.tests.conftest import age

    assert settings.RETENTION_YEARS == 75  # the default (VIGIL_RETENTION_YEARS)
    now = timezone.now()
    limit = rules.cutoff(now)
    assert now.year - limit.year == 75 and abs((limit.replace(year=now.year) - now).days) <= 1
    tip = age(make_tip("EDGE-1", old=False), limit + dt.timedelta(days=1))
    assert not rules.is_past_retention("tip", tip.pk)
    age(tip, limit - dt.timedelta(days=1))
    assert rules.is_past_retention("tip", tip.pk)


def test_a_held_tip_past_retention_survives_every_path_for_every_role(
    client, make_tip, personas, second_manager
):
    """Pages (propose, approve), the API and the command line: the held tip stays;
    a Manager's refused deletion is audited as a refusal."""
    from rest_framework.test import APIClient

    from vigil.audit.models import Outcome
    from vigil.testing.personas import api_token

    tip = make_tip("OLD-H")
    # Proposed before the hold was placed: approving must still be refused.
    proposal = actions.do_propose_deletion("tip", tip.pk, reason="expired", actor=personas.manager)
    actions.do_place_hold(
        name="US v. Example", reason="litigation", items=[("tip", tip.pk)], actor=personas.manager
    )
    everyone = (
        personas.reader,
        personas.investigator,
        personas.other_investigator,
        personas.manager,
        second_manager,
        personas.admin,
    )
    for who in everyone:
        client.force_login(who)
        client.post(
            reverse("retention-propose"), {"kind": "tip", "object_id": tip.pk, "reason": "x"}
        )
        client.post(reverse("retention-approve", args=[proposal.pk]), {"note": "ok"})
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(who)}")
        assert api.delete(f"/api/tips/{tip.pk}/").status_code in (403, 404, 405)
    out = io.StringIO()
    call_command("disposition", "--json", stdout=out)
    (listed,) = json.loads(out.getvalue())["records"]
    assert (listed["id"], listed["holds"]) == (tip.pk, ["US v. Example"])
    assert Tip.objects.filter(pk=tip.pk).exists()
    assert list(DeletionProposal.objects.values_list("pk", flat=True)) == [proposal.pk]
    assert not AuditEvent.objects.filter(action="retention.delete", outcome="success").exists()
    refused = AuditEvent.objects.filter(outcome=Outcome.DENIED, object_id=str(tip.pk))
    assert {e.action for e in refused} == {"retention.propose", "retention.delete"}
    assert all("legal hold" in e.summary for e in refused)
    client.force_login(second_manager)
    body = client.get(reverse("retention-disposition")).content.decode()
    assert "Held: US v. Example" in body and "cannot be deleted" in body


def test_a_refused_deletion_within_retention_is_audited(make_tip, personas):
    from vigil.audit.models import Outcome

    tip = make_tip("NEW-1", old=False)
    with pytest.raises(ValidationError, match="retention period"):
        actions.do_propose_deletion("tip", tip.pk, reason="x", actor=personas.manager)
    (row,) = AuditEvent.objects.filter(outcome=Outcome.DENIED, action="retention.propose")
    assert row.object_id == str(tip.pk) and "retention period" in row.summary
