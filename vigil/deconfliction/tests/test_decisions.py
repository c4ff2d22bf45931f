from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.deconfliction import actions, hooks
from vigil.deconfliction.models import Flag, Link
from vigil.deconfliction.tests import factories as f
from vigil.messaging.models import Message
from vigil.testing.roles import check_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(personas):
    """Tip A (assigned to the investigator) and tip B share an e-mail."""
    a = f.tip("A-1", assigned=personas.investigator)
    b = f.tip("B-1")
    f.add(a, "email", "suspect@example.org")
    f.add(b, "email", "Suspect@Example.org")
    return Flag.objects.get()


def _reopen(flag):
    def setup():
        Link.objects.all().delete()
        Flag.objects.filter(pk=flag.pk).update(
            status=Flag.Status.OPEN, decided_by=None, decided_at=None, decision_note=""
        )

    return setup


def test_it_lets_only_writers_of_either_tip_link(client, personas, flagged):
    check_roles(
        client,
        personas,
        "post",
        reverse("deconfliction-flag-link", args=[flagged.pk]),
        data={"note": "same mailbox, same modus operandi"},
        audit_action="deconfliction.link",
        setup=_reopen(flagged),
    )


def test_it_lets_only_writers_of_either_tip_dismiss(client, personas, flagged):
    check_roles(
        client,
        personas,
        "post",
        reverse("deconfliction-flag-dismiss", args=[flagged.pk]),
        data={"reason": "a shared help-desk address"},
        audit_action="deconfliction.dismiss",
        setup=_reopen(flagged),
    )


def test_it_lets_only_managers_and_administrators_remove_links(client, personas, flagged):
    def setup():
        Link.objects.all().delete()
        Flag.objects.update(status=Flag.Status.OPEN)
        actions.do_link_tips(flagged, note="same person", actor=personas.manager)

    check_roles(
        client,
        personas,
        "post",
        lambda: reverse("deconfliction-link-remove", args=[Link.objects.get().pk]),
        data={"reason": "different people after all"},
        audit_action="deconfliction.unlink",
        setup=setup,
    )
    assert Link.objects.get().removed_at is not None  # the administrator's, the last call


def test_it_requires_a_note_and_a_reason(personas, flagged):
    with pytest.raises(ValidationError):
        actions.do_link_tips(flagged, note="  ", actor=personas.investigator)
    with pytest.raises(ValidationError):
        actions.do_dismiss_flag(flagged, reason="", actor=personas.investigator)
    flagged.refresh_from_db()
    assert flagged.status == Flag.Status.OPEN and not Link.objects.exists()


def test_it_shows_an_error_and_changes_nothing_without_a_note(client, personas, flagged):
    client.force_login(personas.investigator)
    response = client.post(
        reverse("deconfliction-flag-link", args=[flagged.pk]), {"note": ""}, follow=True
    )
    assert b"a note is required" in response.content
    assert not Link.objects.exists()


def test_it_answers_htmx_with_the_refreshed_panel(client, personas, flagged):
    client.force_login(personas.investigator)
    response = client.post(
        reverse("deconfliction-flag-link", args=[flagged.pk]),
        {"note": "same person", "panel_tip": flagged.tip_a_id},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b'id="flags-panel-' in response.content
    assert b"Linked" in response.content
    assert Link.objects.active().count() == 1


def test_it_hides_the_decision_buttons_from_readers(client, personas, flagged):
    client.force_login(personas.reader)
    page = client.get(reverse("deconfliction-tip-panel", args=[flagged.tip_a_id])).content
    assert b'data-action="link"' not in page and b'data-action="dismiss"' not in page
    assert b"suspect@example.org" in page
    client.force_login(personas.investigator)
    page = client.get(reverse("deconfliction-tip-panel", args=[flagged.tip_a_id])).content
    assert b'data-action="link"' in page


def test_it_guards_the_pages(client, personas, flagged):
    for name in (
        "deconfliction-tip-panel",
        "deconfliction-tip",
        "deconfliction-cluster",
        "deconfliction-cluster-json",
    ):
        check_roles(client, personas, "get", reverse(name, args=[flagged.tip_a_id]))
    check_roles(client, personas, "get", reverse("deconfliction-flags"))
    check_roles(client, personas, "get", reverse("deconfliction-warning-list"))


def test_it_marks_every_open_flag_of_the_pair_linked(personas, flagged):
    f.add(flagged.tip_a, "phone", "+1 202 555 0143")
    f.add(flagged.tip_b, "phone", "(202) 555-0143")
    outcome = actions.do_link_tips(flagged, note="same person", actor=personas.investigator)
    assert outcome.created
    assert set(Flag.objects.values_list("status", flat=True)) == {"linked"}
    with pytest.raises(ValidationError):
        actions.do_link_tips(flagged, note="again", actor=personas.investigator)


def test_it_computes_clusters_and_recomputes_them_after_removal(personas):
    tips = [f.tip(assigned=personas.investigator) for _ in range(4)]
    for i in range(3):
        actions.do_link_tips(
            note="chain", actor=personas.investigator, tip_a=tips[i], tip_b=tips[i + 1]
        )
    assert actions.cluster_tip_ids(tips[0].pk) == {t.pk for t in tips}
    middle = Link.objects.get(tip_a=tips[1], tip_b=tips[2])
    with pytest.raises(PermissionDenied):
        actions.do_remove_link(middle, reason="wrong", actor=personas.investigator)
    actions.do_remove_link(middle, reason="wrong person", actor=personas.manager)
    assert actions.cluster_tip_ids(tips[0].pk) == {tips[0].pk, tips[1].pk}
    assert actions.cluster_tip_ids(tips[3].pk) == {tips[2].pk, tips[3].pk}
    middle.refresh_from_db()
    assert middle.removed_by == personas.manager and middle.removed_reason == "wrong person"
    # History stays; a fresh link can be made again.
    actions.do_link_tips(note="after all", actor=personas.manager, tip_a=tips[1], tip_b=tips[2])
    assert Link.objects.filter(tip_a=tips[1], tip_b=tips[2]).count() == 2


def test_it_reopens_the_flags_of_a_removed_link(personas, flagged):
    outcome = actions.do_link_tips(flagged, note="same", actor=personas.investigator)
    actions.do_remove_link(outcome.link, reason="not the same", actor=personas.admin)
    flagged.refresh_from_db()
    assert flagged.status == Flag.Status.OPEN


def test_it_refuses_linking_a_tip_to_itself(personas):
    t = f.tip(assigned=personas.investigator)
    with pytest.raises(ValidationError):
        actions.do_link_tips(note="x", actor=personas.investigator, tip_a=t, tip_b=t)


def test_it_notifies_the_referred_tips_investigator_and_suggests_the_office(personas):
    referred = f.tip("R-1", assigned=personas.other_investigator)
    old = f.tip("O-1", assigned=personas.investigator)
    new = f.tip("N-1", assigned=personas.investigator)
    actions.do_link_tips(note="known", actor=personas.manager, tip_a=referred, tip_b=old)

    def finder(tip_ids):
        ids = set(tip_ids)
        return (
            [(referred, personas.other_investigator, "Dallas field office")]
            if referred.pk in ids
            else []
        )

    hooks.register_referred_tip_finder(finder)
    try:
        f.add(old, "email", "x@example.org")
        f.add(new, "email", "x@example.org")
        flag = Flag.objects.get()
        outcome = actions.do_link_tips(flag, note="same mailbox", actor=personas.investigator)
    finally:
        hooks.unregister_referred_tip_finder(finder)
    assert [(t.pk, office) for t, office, _ in outcome.suggestions] == [
        (new.pk, "Dallas field office")
    ]
    msg = Message.objects.get(recipient=personas.other_investigator, subject__contains="R-1")
    assert "N-1" in msg.body and "Dallas field office" in msg.body and "same mailbox" in msg.body
    assert AuditEvent.objects.filter(action="deconfliction.referral_suggested").exists()
