"""Referral status flow, permissions (role matrix), same office for related tips, follow-ups."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.deconfliction import actions as deconfliction
from vigil.deconfliction.models import Flag
from vigil.deconfliction.tests import factories as f
from vigil.messaging.models import Message
from vigil.referrals import actions
from vigil.referrals.models import Disclosure, Referral
from vigil.referrals.tests.conftest import link
from vigil.testing.roles import check_roles

pytestmark = pytest.mark.django_db


def _referral(tip, directory, personas, **kw):
    return actions.do_create_referral(
        tip, actor=personas.investigator, office=directory["newark"], **kw
    )


def test_it_walks_the_status_flow(tip, directory, personas):
    r = _referral(tip, directory, personas, note="subscriber identified")
    assert r.status == Referral.Status.DRAFTED and list(
        r.members.values_list("tip", flat=True)
    ) == [tip.pk]
    assert not Disclosure.objects.exists()
    with pytest.raises(ValidationError):
        actions.do_acknowledge_referral(r, actor=personas.investigator)
    r = actions.do_send_referral(r, actor=personas.investigator, method="case system")
    assert r.status == "sent" and r.sent_at and r.acknowledge_by  # default due date
    (d,) = Disclosure.objects.all()
    assert d.recipient == "HSI Newark" and d.office == directory["newark"]
    assert ["tip", tip.pk] in d.records and ["referral", r.pk] in d.records
    assert d.actor == personas.investigator and "case system" in d.method
    assert "Investigative referral" in d.purpose
    with pytest.raises(ValidationError):
        actions.do_send_referral(r, actor=personas.investigator)
    r = actions.do_acknowledge_referral(r, actor=personas.investigator)
    with pytest.raises(ValidationError):
        actions.do_open_case(r, actor=personas.investigator, case_number=" ")
    r = actions.do_open_case(r, actor=personas.investigator, case_number="NK-2026-0042")
    assert r.status == "case_opened" and r.receiving_case_number == "NK-2026-0042"
    with pytest.raises(ValidationError):
        actions.do_decline_referral(r, actor=personas.investigator, reason="late")
    actions_audited = set(
        AuditEvent.objects.filter(object_type="referrals.referral").values_list("action", flat=True)
    )
    assert actions_audited >= {
        "referral.create",
        "referral.send",
        "referral.acknowledge",
        "referral.case_opened",
    }


def test_it_records_a_decline_with_its_reason(tip, directory, personas):
    r = actions.do_send_referral(_referral(tip, directory, personas), actor=personas.manager)
    with pytest.raises(ValidationError):
        actions.do_decline_referral(r, actor=personas.manager, reason="")
    r = actions.do_decline_referral(r, actor=personas.manager, reason="outside our area")
    assert r.status == "declined" and r.decline_reason == "outside our area"


def test_it_lets_only_the_tips_investigator_or_a_manager_refer(tip, directory, personas):
    for actor in (personas.reader, personas.other_investigator, personas.admin):
        with pytest.raises(PermissionDenied):
            actions.do_create_referral(tip, actor=actor, office=directory["newark"])
    r = actions.do_create_referral(tip, actor=personas.manager, office=directory["newark"])
    with pytest.raises(PermissionDenied):
        actions.do_send_referral(r, actor=personas.other_investigator)
    # Each refusal is in the audit trail, on the record refused.
    denied = AuditEvent.objects.filter(action="access.write", outcome="denied")
    assert denied.filter(object_type="tips.tip", object_id=str(tip.pk)).count() == 3
    assert denied.filter(object_type="referrals.referral", object_id=str(r.pk)).exists()


def test_it_refers_a_whole_cluster(tip, directory, personas):
    b, c = f.tip("B-1"), f.tip("C-1")
    link(tip, b)
    link(b, c)
    r = _referral(tip, directory, personas, scope="cluster")
    assert set(r.members.values_list("tip", flat=True)) == {tip.pk, b.pk, c.pk}
    actions.do_send_referral(r, actor=personas.investigator)
    assert Disclosure.objects.get().records.count(["tip", c.pk]) == 1


def test_it_asks_for_a_reason_when_the_cluster_went_elsewhere(tip, directory, personas):
    other = f.tip("O-1", assigned=personas.investigator)
    link(tip, other)
    actions.do_send_referral(_referral(tip, directory, personas), actor=personas.investigator)
    with pytest.raises(ValidationError) as exc:
        actions.do_create_referral(other, actor=personas.investigator, office=directory["chicago"])
    assert "HSI Newark" in str(exc.value)
    assert Referral.objects.count() == 1
    r = actions.do_create_referral(
        other,
        actor=personas.investigator,
        office=directory["chicago"],
        elsewhere_reason="the suspect moved to Chicago",
    )
    assert r.elsewhere_reason == "the suspect moved to Chicago"
    # Same office: no reason asked.
    actions.do_create_referral(other, actor=personas.investigator, office=directory["newark"])


def test_it_proposes_the_same_office_and_case_through_the_deconfliction_hook(
    tip, directory, personas, client
):
    r = actions.do_send_referral(
        _referral(tip, directory, personas, receiving_case_number="NK-7"),
        actor=personas.investigator,
    )
    new = f.tip("N-1", assigned=personas.other_investigator)
    f.add(new, "email", "suspect@example.org")
    flag = Flag.objects.get()
    outcome = deconfliction.do_link_tips(flag, note="same mailbox", actor=personas.manager)
    assert [(t.pk, office) for t, office, _ in outcome.suggestions] == [
        (new.pk, "HSI Newark (case NK-7)")
    ]
    msg = Message.objects.get(recipient=personas.investigator, subject__contains="referred tip")
    assert "HSI Newark (case NK-7)" in msg.body
    # The new tip's own page proposes the office and case number.
    assert actions.proposal_for(new) == r
    client.force_login(personas.other_investigator)
    page = client.get(reverse("referrals-tip-panel", args=[new.pk])).content.decode()
    assert "same-office-proposal" in page and "NK-7" in page
    form = client.get(reverse("referrals-create", args=[new.pk])).content.decode()
    assert 'value="NK-7"' in form


def test_it_records_a_follow_up_and_notifies_the_analyst(tip, directory, personas):
    r = _referral(tip, directory, personas)
    with pytest.raises(ValidationError):
        actions.do_record_follow_up(r, actor=personas.manager, request="more logs")
    r = actions.do_send_referral(r, actor=personas.manager)
    fu = actions.do_record_follow_up(r, actor=personas.manager, request="Send the 2026 logs")
    msg = Message.objects.get(recipient=personas.investigator, subject__contains=f"#{r.pk}")
    assert "2026 logs" in msg.body
    with pytest.raises(ValidationError):
        actions.do_answer_follow_up(fu, actor=personas.investigator, answer="")
    actions.do_answer_follow_up(fu, actor=personas.investigator, answer="sent by e-mail")
    fu.refresh_from_db()
    assert fu.answered_by == personas.investigator


def test_it_deletes_only_drafts_and_only_for_managers(tip, directory, personas):
    r = _referral(tip, directory, personas)
    with pytest.raises(PermissionDenied):
        actions.do_delete_referral(r, actor=personas.investigator)
    actions.do_send_referral(r, actor=personas.investigator)
    with pytest.raises(ValidationError):
        actions.do_delete_referral(r, actor=personas.manager)


def test_it_adds_the_receiving_case_number_later(tip, directory, personas):
    r = actions.do_send_referral(_referral(tip, directory, personas), actor=personas.investigator)
    actions.do_update_referral(r, actor=personas.investigator, receiving_case_number="NK-9")
    r.refresh_from_db()
    assert r.receiving_case_number == "NK-9"
    with pytest.raises(ValidationError):
        actions.do_update_referral(r, actor=personas.investigator, acknowledge_by="tomorrow")


# --- role matrix --------------------------------------------------------------------------


def test_it_guards_the_referral_list_and_page(client, personas, tip, directory):
    r = _referral(tip, directory, personas)
    check_roles(client, personas, "get", reverse("referrals-list"))
    check_roles(client, personas, "get", reverse("referrals-detail", args=[r.pk]))
    check_roles(
        client,
        personas,
        "post",
        reverse("referrals-detail", args=[r.pk]),
        data={"receiving_case_number": "X-1", "note": "n"},
        audit_action=None,
    )


def test_it_guards_the_create_page(client, personas, tip, directory):
    check_roles(client, personas, "get", reverse("referrals-create", args=[tip.pk]))
    check_roles(
        client,
        personas,
        "post",
        reverse("referrals-create", args=[tip.pk]),
        data={"office": directory["newark"].pk, "scope": "tip"},
        audit_action="referral.create",
    )


@pytest.mark.parametrize(
    ("name", "data", "audit", "status"),
    [
        ("referrals-send", {"method": "e-mail"}, "referral.send", "drafted"),
        ("referrals-acknowledge", {}, "referral.acknowledge", "sent"),
        ("referrals-open-case", {"case_number": "C-1"}, "referral.case_opened", "sent"),
        ("referrals-decline", {"reason": "no"}, "referral.decline", "acknowledged"),
        ("referrals-follow-up", {"request": "more"}, "referral.follow_up", "sent"),
    ],
)
def test_it_guards_each_status_step(client, personas, tip, directory, name, data, audit, status):
    r = _referral(tip, directory, personas)

    def reset():
        Referral.objects.filter(pk=r.pk).update(status=status)

    check_roles(
        client,
        personas,
        "post",
        reverse(name, args=[r.pk]),
        data=data,
        audit_action=audit,
        setup=reset,
    )


def test_it_guards_deleting_a_draft(client, personas, tip, directory):
    holder = {}

    def fresh():
        holder["r"] = _referral(tip, directory, personas)

    fresh()
    url = reverse("referrals-delete", args=[holder["r"].pk])
    check_roles(
        client,
        personas,
        "post",
        url,
        audit_action="referral.delete",
    )
    assert not Referral.objects.filter(pk=holder["r"].pk).exists()


def test_it_guards_answering_a_follow_up(client, personas, tip, directory):
    r = actions.do_send_referral(_referral(tip, directory, personas), actor=personas.manager)
    fu = actions.do_record_follow_up(r, actor=personas.manager, request="more")

    def reset():
        type(fu).objects.filter(pk=fu.pk).update(answered_at=None, answer="")

    check_roles(
        client,
        personas,
        "post",
        reverse("referrals-follow-up-answer", args=[fu.pk]),
        data={"answer": "sent"},
        audit_action="referral.follow_up_answer",
        setup=reset,
    )


def test_it_guards_the_tip_panel_and_jurisdiction_page(client, personas, tip, directory):
    check_roles(
        client,
        personas,
        "get",
        reverse("referrals-tip-panel", args=[tip.pk]),
        audit_action="referral.list",
    )
    url = reverse("referrals-jurisdiction", args=[tip.pk])
    check_roles(client, personas, "get", url, audit_action="referral.jurisdiction")
    client.force_login(personas.reader)
    page = client.get(url).content.decode()
    assert "HSI Newark" in page and "NJ ICAC Task Force" in page and "other-agency" in page
    # The cluster's evidence shows the other tips' selectors: the read row names them all.
    other = f.tip("J-2")
    f.selector(other, "phone", "+1 312 555 0100")
    link(tip, other)
    panel = client.get(reverse("referrals-tip-panel", args=[tip.pk])).content.decode()
    assert f'href="{url}?scope=cluster" data-testid="cluster-jurisdiction"' in panel
    page = client.get(url + "?scope=cluster").content.decode()
    assert "jurisdiction-conflict" in page and "HSI Chicago" in page and "2 tips" in page
    row = AuditEvent.objects.filter(action="referral.jurisdiction").latest("id")
    assert (
        row.changes["ids"] == f"{tip.pk}-{other.pk}"
        and row.changes["filters"]["scope"] == "cluster"
    )


def test_it_shows_referrals_awaiting_acknowledgement_on_the_dashboard(
    client, personas, tip, directory
):
    r = actions.do_send_referral(_referral(tip, directory, personas), actor=personas.investigator)
    client.force_login(personas.investigator)
    page = client.get(reverse("core-dashboard")).content.decode()
    assert "Referrals awaiting acknowledgement" in page and f"#{r.pk}" in page
    client.force_login(personas.other_investigator)
    page = client.get(reverse("core-dashboard")).content.decode()
    assert f"#{r.pk} " not in page


def test_it_ignores_a_bad_office_in_the_query(client, personas, tip, directory):
    client.force_login(personas.investigator)
    url = reverse("referrals-create", args=[tip.pk])
    assert client.get(url + "?office=abc").status_code == 200
    page = client.get(url + f"?office={directory['icac'].pk}").content.decode()
    assert f'value="{directory["icac"].pk}" selected' in page


def test_it_says_what_a_cluster_referral_will_cover_before_it_is_made(
    client, personas, tip, directory
):
    client.force_login(personas.investigator)
    url = reverse("referrals-create", args=[tip.pk]) + "?scope=cluster"
    page = client.get(url).content.decode()
    assert "The cluster holds 1 linked tip; the referral covers all of them." in page
    assert "are referred" not in page  # nothing is referred yet


def test_it_refuses_a_bad_referral_form_and_keeps_the_data(client, personas, tip, directory):
    client.force_login(personas.investigator)
    url = reverse("referrals-create", args=[tip.pk])
    response = client.post(url, {"office": "9999", "scope": "tip", "acknowledge_by": "soon"})
    assert response.status_code == 200 and not Referral.objects.exists()
    r = _referral(tip, directory, personas)
    response = client.post(reverse("referrals-open-case", args=[r.pk]), {"case_number": "X"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == "drafted"  # a draft cannot open a case


def test_it_offers_to_refer_to_the_other_agency_instead(client, personas, tip, directory):
    client.force_login(personas.investigator)
    page = client.get(reverse("referrals-tip-panel", args=[tip.pk])).content.decode()
    assert f"?office={directory['icac'].pk}" in page and 'data-testid="refer-agency"' in page
    client.force_login(personas.reader)
    page = client.get(reverse("referrals-tip-panel", args=[tip.pk])).content.decode()
    assert 'data-testid="refer-agency"' not in page


def test_it_marks_a_referral_overdue_past_its_acknowledgement_date(
    client, personas, tip, directory, settings
):
    import datetime as dt

    from django.utils import timezone

    settings.REFERRAL_ACKNOWLEDGE_DAYS = 3
    r = actions.do_send_referral(_referral(tip, directory, personas), actor=personas.investigator)
    assert r.acknowledge_by == timezone.localdate() + dt.timedelta(days=3) and not r.overdue
    on_time = _referral(f.tip("D-2", assigned=personas.investigator), directory, personas)
    on_time = actions.do_update_referral(
        on_time, actor=personas.investigator, acknowledge_by=timezone.localdate()
    )
    on_time = actions.do_send_referral(on_time, actor=personas.investigator)
    assert on_time.acknowledge_by == timezone.localdate()  # a due date given is kept
    Referral.objects.filter(pk=r.pk).update(
        acknowledge_by=timezone.localdate() - dt.timedelta(days=1)
    )
    r.refresh_from_db()
    assert r.overdue and not on_time.overdue
    client.force_login(personas.investigator)
    page = client.get(reverse("core-dashboard")).content.decode()
    assert (
        "<strong>2</strong> referrals awaiting acknowledgement, <strong>1 overdue</strong>" in page
    )
    listing = client.get(reverse("referrals-list") + "?overdue=1").content.decode()
    assert f">#{r.pk}<" in listing and f">#{on_time.pk}<" not in listing
    actions.do_acknowledge_referral(r, actor=personas.investigator)
    r.refresh_from_db()
    assert not r.overdue  # acknowledged: no longer waiting
