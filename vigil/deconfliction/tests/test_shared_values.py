"""One decision per shared value: groups, already-linked pairs, folding, possible flags."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from vigil.audit.models import AuditEvent
from vigil.deconfliction import actions, queries
from vigil.deconfliction.models import Flag, Link, TipNotice
from vigil.deconfliction.tests import factories as f
from vigil.tips import signals
from vigil.tips.models import Selector, Tip

pytestmark = pytest.mark.django_db

HANDLE = "kik:x_panda_night"


def _statuses() -> dict[str, int]:
    out: dict[str, int] = {}
    for s in Flag.objects.values_list("status", flat=True):
        out[s] = out.get(s, 0) + 1
    return out


def test_it_asks_one_decision_for_a_value_on_eight_tips(personas):
    tips = [f.tip(assigned=personas.investigator) for _ in range(8)]
    for t in tips:
        f.add(t, "online_id", HANDLE)
    assert Flag.objects.open().count() == 28  # every pair is still a true, stored pair
    assert queries.open_decisions() == 1
    flag = Flag.objects.open().first()
    outcome = actions.do_link_shared_value(
        flag, note="same handle, same story", actor=personas.investigator, tip=tips[0]
    )
    # One link per cluster joined, not one per pair; nothing left to decide.
    assert len(outcome.links) == 7 == Link.objects.active().count()
    assert actions.cluster_tip_ids(tips[0].pk) == {t.pk for t in tips}
    assert Flag.objects.open().count() == 0
    # The analyst's one decision covers every pair of the value.
    assert _statuses() == {"linked": 28}
    event = AuditEvent.objects.filter(action="deconfliction.link").get()
    assert len(event.changes["tips"]) == 8


def test_it_gives_a_new_tip_one_decision_against_a_cluster(personas):
    old = [f.tip(assigned=personas.investigator) for _ in range(3)]
    for t in old:
        f.add(t, "email", "x@example.org")
    actions.do_link_shared_value(
        Flag.objects.open().first(), note="one person", actor=personas.manager
    )
    new = f.tip(assigned=personas.investigator)
    assert f.add(new, "email", "x@example.org") == 3  # three true pairs …
    assert queries.open_decisions() == 1  # … one decision: this tip and that cluster
    groups = queries.shared_values_for_tip(new.pk, queries.flags_for_tip(new.pk))
    assert len(groups) == 1 and {t.pk for t in groups[0].others} == {t.pk for t in old}
    actions.do_link_shared_value(
        groups[0].flag, note="same mailbox", actor=personas.investigator, tip=new
    )
    assert Link.objects.active().count() == 3  # two before, one for the new tip
    assert Flag.objects.open().count() == 0


def test_it_does_not_reflag_tips_already_in_one_cluster(personas):
    a, b, c = (f.tip(assigned=personas.investigator) for _ in range(3))
    actions.do_link_tips(note="chain", actor=personas.investigator, tip_a=a, tip_b=b)
    actions.do_link_tips(note="chain", actor=personas.investigator, tip_a=b, tip_b=c)
    f.add(a, "phone", "+1 202 555 0143")
    assert f.add(c, "phone", "(202) 555-0143") == 0
    flag = Flag.objects.get()
    assert flag.status == Flag.Status.ALREADY_LINKED
    assert queries.open_decisions() == 0


def test_it_closes_open_pairs_inside_a_cluster_once_linked(personas):
    a, b = f.tip(assigned=personas.investigator), f.tip()
    f.add(a, "email", "x@example.org")
    f.add(b, "email", "x@example.org")
    f.add(a, "phone", "+1 202 555 0143")
    f.add(b, "phone", "+1 202 555 0143")
    assert queries.open_decisions() == 2
    email = Flag.objects.get(type="email")
    actions.do_link_shared_value(email, note="same", actor=personas.investigator, tip=a)
    assert Flag.objects.get(type="phone").status == Flag.Status.ALREADY_LINKED
    assert queries.open_decisions() == 0


def test_it_reopens_pairs_across_a_removed_link(personas):
    a, b, c = (f.tip(assigned=personas.investigator) for _ in range(3))
    for t in (a, b, c):
        f.add(t, "email", "x@example.org")
    outcome = actions.do_link_shared_value(
        Flag.objects.get(tip_a=a, tip_b=b), note="same", actor=personas.investigator, tip=a
    )
    link_ac = next(lk for lk in outcome.links if lk.tip_b_id == c.pk)
    actions.do_remove_link(link_ac, reason="c is someone else", actor=personas.manager)
    # a–b still linked; both pairs with c open again (the cluster split between them).
    assert Flag.objects.get(tip_a=a, tip_b=b).status == Flag.Status.LINKED
    assert Flag.objects.get(tip_a=a, tip_b=c).status == Flag.Status.OPEN
    assert Flag.objects.get(tip_a=b, tip_b=c).status == Flag.Status.OPEN
    assert queries.open_decisions() == 1


def test_it_dismisses_a_value_once_for_its_group(personas):
    tips = [f.tip(assigned=personas.investigator) for _ in range(4)]
    for t in tips:
        f.add(t, "address", "12 Main Street, Springfield")
    outcome = actions.do_dismiss_shared_value(
        Flag.objects.open().first(),
        reason="a shelter's address",
        actor=personas.investigator,
        tip=tips[0],
    )
    assert len(outcome.flags) == 6 and Flag.objects.open().count() == 0
    # A later tip with the value is a new decision, against the same tips.
    fifth = f.tip()
    assert f.add(fifth, "address", "12 main street, springfield") == 4
    assert queries.open_decisions() == 1


def test_it_decides_only_the_pairs_an_investigator_may(personas):
    mine = f.tip(assigned=personas.investigator)
    theirs = [f.tip(assigned=personas.other_investigator) for _ in range(2)]
    for t in (mine, *theirs):
        f.add(t, "vehicle", "ABC 123")
    flag = Flag.objects.get(tip_a=theirs[0], tip_b=theirs[1])
    with pytest.raises(PermissionDenied):  # a pair of two tips that are not theirs
        actions.do_dismiss_flag(flag, reason="x", actor=personas.investigator)
    outcome = actions.do_dismiss_shared_value(
        flag, reason="rental car", actor=personas.investigator, tip=mine
    )
    assert outcome.left_open == 1 and len(outcome.flags) == 2
    assert Flag.objects.get(tip_a=theirs[0], tip_b=theirs[1]).status == Flag.Status.OPEN


def test_it_links_through_an_investigator_and_closes_the_rest(personas):
    mine = f.tip(assigned=personas.investigator)
    theirs = [f.tip(assigned=personas.other_investigator) for _ in range(2)]
    for t in (mine, *theirs):
        f.add(t, "vehicle", "ABC 123")
    actions.do_link_shared_value(
        Flag.objects.open().first(), note="same car", actor=personas.investigator, tip=mine
    )
    # The pair between the other investigator's tips is closed: they sit in one cluster now.
    assert Flag.objects.get(tip_a=theirs[0], tip_b=theirs[1]).status == "already_linked"


def test_it_folds_open_pairs_into_the_notice_when_a_value_becomes_common(settings):
    settings.COMMON_VALUE_THRESHOLD = 3
    tips = [f.tip() for _ in range(3)]
    for t in tips:
        f.add(t, "ip", "81.2.69.160")
    assert Flag.objects.open().count() == 3
    f.add(f.tip(), "ip", "81.2.69.160")
    assert Flag.objects.open().count() == 0
    assert Flag.objects.filter(status=Flag.Status.COMMON).count() == 3
    assert TipNotice.objects.filter(value="81.2.69.160").count() == 4


def test_it_raises_possible_flags_for_unconfirmed_values_and_upgrades_them(personas):
    a = f.tip(assigned=personas.investigator)
    b = f.tip()
    f.add(a, "online_id", HANDLE)
    assert f.add(b, "online_id", HANDLE, extracted=True) == 1
    flag = Flag.objects.get()
    assert flag.possible and flag.status == Flag.Status.OPEN
    groups = queries.shared_values_for_tip(a.pk, queries.flags_for_tip(a.pk))
    assert [g.possible for g in groups] == [True]
    # Confirming the extracted value probes again: the flag becomes a full one.
    s = Selector.objects.get(tip=b)
    Selector.objects.filter(pk=s.pk).update(confirmed=True)
    s.confirmed = True
    results = signals.selectors_confirmed.send(sender=Tip, tip=b, selectors=[s], actor=None)
    assert sum(r for _, r in results) == 1
    flag.refresh_from_db()
    assert not flag.possible


def test_it_shows_one_row_per_shared_value_on_pages(client, personas):
    tips = [f.tip(assigned=personas.investigator) for _ in range(5)]
    for t in tips:
        f.add(t, "online_id", HANDLE)
    client.force_login(personas.investigator)
    page = client.get(reverse("deconfliction-flags")).content.decode()
    assert page.count('data-testid="flag-row"') == 1
    assert "1 decision:" in page
    assert f"NCMEC {tips[4].source_reference}" in page  # tips named by source and reference
    panel = client.get(reverse("deconfliction-tip-panel", args=[tips[0].pk])).content.decode()
    assert panel.count('data-testid="flag-row"') == 1 and "Link all 5 tips" in panel
    response = client.post(
        reverse("deconfliction-flag-link", args=[Flag.objects.open().first().pk]),
        {"note": "same handle", "panel_tip": tips[0].pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "0 to decide" in response.content.decode()
    assert "Decided and closed" in response.content.decode()


def test_it_groups_names_by_the_tips_spelling(personas):
    a = f.tip(assigned=personas.investigator)
    f.add(a, "person", "William Turner", dob="1980-04-02")
    for _ in range(3):
        f.add(f.tip(), "person", "William Turner", dob="1980-04-02")
    assert Flag.objects.filter(type="name").count() == 6
    groups = queries.shared_values_for_tip(a.pk, queries.flags_for_tip(a.pk))
    assert len(groups) == 1 and len(groups[0].others) == 3
    actions.do_link_shared_value(groups[0].flag, note="same", actor=personas.investigator, tip=a)
    assert Flag.objects.open().count() == 0


def test_it_asks_one_decision_for_a_group_of_tips_sharing_one_spelling(personas):
    """Three tips spelled "william turner" and one "bill turner" that matched them: 6 pairs,
    one decision (the spelling's group), dismissed once from the flags list."""
    same = [f.tip(assigned=personas.investigator) for _ in range(3)]
    for t in same:
        f.add(t, "person", "William Turner", dob="1980-04-02")
    variant = f.tip(assigned=personas.other_investigator)
    f.add(variant, "person", "Bill Turner", dob="1980-04-02")
    assert Flag.objects.open().filter(type="name").count() == 6
    assert queries.open_decisions() == 1
    first = Flag.objects.open().order_by("id").first()
    group = queries.shared_value_pairs(first)
    assert len(group) == 6  # not only the first tip's three pairs
    # From the variant's page: its own spelling, its three pairs.
    mine = queries.shared_value_pairs(
        Flag.objects.open().involving(variant.pk).first(), tip_id=variant.pk
    )
    assert {t for p in mine for t in (p.tip_a_id, p.tip_b_id)} == {t.pk for t in [*same, variant]}
    assert len(mine) == 3
    outcome = actions.do_dismiss_shared_value(first, reason="two people", actor=personas.manager)
    assert len(outcome.flags) == 6 and Flag.objects.open().count() == 0
    event = AuditEvent.objects.get(action="deconfliction.dismiss")
    assert len(event.changes["tips"]) == 4


def test_a_tip_of_the_same_spelling_outside_the_group_is_another_decision(personas):
    a = f.tip(assigned=personas.investigator)
    b = f.tip(assigned=personas.investigator)
    f.add(a, "person", "William Turner", dob="1980-04-02")
    f.add(b, "person", "William Turner", dob="1980-04-02")
    actions.do_dismiss_shared_value(
        Flag.objects.open().get(), reason="different men", actor=personas.investigator
    )
    c = f.tip(assigned=personas.investigator)
    f.add(c, "person", "William Turner", dob="1980-04-02")
    assert Flag.objects.open().count() == 2  # a~c and b~c: c's decision, a and b kept apart
    group = queries.shared_value_pairs(Flag.objects.open().first(), tip_id=c.pk)
    assert len(group) == 2
    group_a = queries.shared_value_pairs(Flag.objects.open().involving(a.pk).get(), tip_id=a.pk)
    assert [(p.tip_a_id, p.tip_b_id) for p in group_a] == [(a.pk, c.pk)]


def test_a_name_decision_stays_among_the_tips_the_focus_tip_matched(personas):
    """A variant that matched only another tip of the group (its date of birth vetoes the
    focus tip) is not decided from the focus tip's page: that page does not show it."""
    t = f.tip(assigned=personas.investigator)
    u = f.tip(assigned=personas.investigator)
    v = f.tip(assigned=personas.investigator)
    f.add(t, "person", "William Turner", dob="1980-04-02")
    f.add(u, "person", "William Turner")
    f.add(v, "person", "Bill Turner", dob="1975-01-01")
    pairs = {(p.tip_a_id, p.tip_b_id) for p in Flag.objects.open()}
    assert pairs == {(t.pk, u.pk), (u.pk, v.pk)}  # t~v vetoed by the dates of birth
    group = queries.shared_value_pairs(Flag.objects.get(tip_a=t, tip_b=u), tip_id=t.pk)
    assert [(p.tip_a_id, p.tip_b_id) for p in group] == [(t.pk, u.pk)]
    from_u = queries.shared_value_pairs(Flag.objects.get(tip_a=t, tip_b=u), tip_id=u.pk)
    assert len(from_u) == 2  # u matched both


def test_it_reprobes_when_the_tips_app_confirms_a_selector(personas):
    from vigil.tips import actions as tips_actions

    a = f.tip(assigned=personas.investigator)
    b = f.tip(assigned=personas.investigator)
    f.add(a, "online_id", HANDLE, extracted=True)
    f.add(b, "online_id", HANDLE)
    assert Flag.objects.get().possible
    tips_actions.do_confirm_selector(Selector.objects.get(tip=a), actor=personas.investigator)
    assert not Flag.objects.get().possible
    assert queries.open_decisions() == 1


def test_it_closes_undecidable_pairs_of_earlier_versions_on_migration(personas, settings):
    import importlib

    from django.apps import apps as django_apps

    from vigil.deconfliction.models import CommonValue

    a, b, c = (f.tip() for _ in range(3))
    Link.objects.create(tip_a=a, tip_b=b, note="earlier")
    Flag.objects.create(tip_a=a, tip_b=b, type="phone", value="+12025550143")
    Flag.objects.create(tip_a=a, tip_b=c, type="ip", value="81.2.69.160")
    Flag.objects.create(tip_a=b, tip_b=c, type="email", value="x@example.org")
    CommonValue.objects.create(type="ip", value="81.2.69.160", tip_count=60)
    migration = importlib.import_module(
        "vigil.deconfliction.migrations.0006_close_undecidable_pairs"
    )
    migration.close(django_apps, None)
    assert dict(Flag.objects.values_list("type", "status")) == {
        "phone": "already_linked",
        "ip": "common",
        "email": "open",
    }
