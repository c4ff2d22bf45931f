"""Subpoenas: drafting, the category limit, the status flow, responses, chaining, overdue."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from vigil.audit.models import AuditEvent
from vigil.core.signals import disclosed
from vigil.lookups.models import Provider
from vigil.subpoenas import actions
from vigil.subpoenas.models import Subpoena
from vigil.subpoenas.tests.conftest import OBSERVED, selector_ids
from vigil.tips import actions as tip_actions


def _draft(tip, provider, actor, **kw):
    kw.setdefault("selector_ids", selector_ids(tip, "ip"))
    kw.setdefault("categories", ["name", "address", "subscriber_number"])
    return actions.do_draft_subpoena(tip, actor=actor, provider=provider, **kw)


def _served(tip, provider, personas, **kw):
    s = _draft(tip, provider, personas.investigator, **kw)
    actions.do_approve_subpoena(s, actor=personas.manager)
    actions.do_serve_subpoena(s, actor=personas.investigator, method="email")
    return s


def test_it_drafts_from_the_tips_identifiers_with_their_observation_time(personas, tip, provider):
    s = _draft(
        tip,
        provider,
        personas.investigator,
        selector_ids=selector_ids(tip, "ip", "email"),
        categories=["address", "name"],
        time_zone="America/New_York",
    )
    assert s.status == "drafted" and s.categories == ["name", "address"]
    ip, email = s.identifiers.order_by("type").reverse()
    assert (ip.type, ip.value, ip.observed_at, ip.port) == ("ip", "203.0.113.7", OBSERVED, 51234)
    assert email.value == "user17@cable.example"
    assert AuditEvent.objects.filter(
        action="subpoena.draft", actor=personas.investigator, object_id=str(s.pk)
    ).exists()


@pytest.mark.parametrize(
    "asked", [["content of communications"], ["name", "stored e-mail contents"], ["location"]]
)
def test_it_refuses_any_category_section_2703c2_does_not_allow(personas, tip, provider, asked):
    with pytest.raises(
        ValidationError, match=r"cannot be asked for: an administrative subpoena may ask only"
    ):
        _draft(tip, provider, personas.investigator, categories=asked)
    assert not Subpoena.objects.exists()


def test_it_refuses_an_ip_without_an_observation_time(personas, tip, provider):
    bare = tip_actions.do_add_selectors(
        tip, [tip_actions.SelectorInput("ip", "198.51.100.9")], actor=personas.investigator
    )[0]
    with pytest.raises(ValidationError, match="no observation date and time"):
        _draft(tip, provider, personas.investigator, selector_ids=[bare.pk])


def test_it_refuses_identifiers_of_another_tip_and_person_data(personas, tip, provider, source):
    other = tip_actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="X-2",
        selectors=[tip_actions.SelectorInput("email", "a@b.example")],
    )
    with pytest.raises(ValidationError, match="not on this tip"):
        _draft(tip, provider, personas.investigator, selector_ids=selector_ids(other, "email"))
    person = tip_actions.do_add_selectors(
        tip, [tip_actions.SelectorInput("person", "Sam Example")], actor=personas.manager
    )[0]
    with pytest.raises(ValidationError, match="cannot be a subpoena identifier"):
        _draft(tip, provider, personas.investigator, selector_ids=[person.pk])
    with pytest.raises(ValidationError, match="not a time zone"):
        _draft(tip, provider, personas.investigator, time_zone="Mars/Olympus")


@pytest.mark.parametrize("role", ["reader", "other_investigator", "admin"])
def test_it_lets_only_the_assigned_investigator_or_a_manager_draft(personas, tip, provider, role):
    with pytest.raises(PermissionDenied):
        _draft(tip, provider, getattr(personas, role))


def test_it_lets_only_a_manager_approve(personas, tip, provider):
    s = _draft(tip, provider, personas.investigator)
    for role in ("investigator", "other_investigator", "reader", "admin"):
        with pytest.raises(PermissionDenied):
            actions.do_approve_subpoena(s, actor=getattr(personas, role))
    actions.do_approve_subpoena(s, actor=personas.manager)
    assert (s.status, s.approved_by) == ("approved", personas.manager)
    with pytest.raises(ValidationError, match="is approved; this step needs it drafted"):
        actions.do_approve_subpoena(s, actor=personas.manager)


def test_it_serves_only_an_approved_subpoena_and_records_the_disclosure(personas, tip, provider):
    s = _draft(tip, provider, personas.investigator)
    with pytest.raises(ValidationError, match="needs it approved"):
        actions.do_serve_subpoena(s, actor=personas.investigator, method="email")
    actions.do_approve_subpoena(s, actor=personas.manager)
    with pytest.raises(PermissionDenied):
        actions.do_serve_subpoena(s, actor=personas.other_investigator, method="email")
    with pytest.raises(ValidationError, match="Service method"):
        actions.do_serve_subpoena(s, actor=personas.investigator, method="pigeon")
    seen = []

    def listener(sender, **kw):
        seen.append(kw)

    disclosed.connect(listener)
    try:
        actions.do_serve_subpoena(
            s, actor=personas.investigator, method="fax", served_on=timezone.localdate()
        )
    finally:
        disclosed.disconnect(listener)
    assert (
        s.status == "served" and s.service_method == "fax" and s.served_by == personas.investigator
    )
    assert s.due_date == timezone.localdate() + dt.timedelta(days=14)
    [d] = seen
    assert d["records"] == [("tip", tip.pk)] and d["recipient"] == "Example Cable"
    assert d["method"] == "fax" and d["source"] == s and d["actor"] == personas.investigator


def test_it_never_dates_a_service_today_later_than_now(personas, tip, provider):
    s = _draft(tip, provider, personas.investigator)
    actions.do_approve_subpoena(s, actor=personas.manager)
    before = timezone.now()
    actions.do_serve_subpoena(
        s, actor=personas.investigator, method="email", served_on=before.date()
    )
    assert s.served_at <= timezone.now()
    assert s.served_at.date() == before.date()
    earlier = _draft(tip, provider, personas.investigator)
    actions.do_approve_subpoena(earlier, actor=personas.manager)
    day = before.date() - dt.timedelta(days=3)
    actions.do_serve_subpoena(earlier, actor=personas.investigator, method="email", served_on=day)
    assert earlier.served_at == dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def test_it_turns_a_response_into_selectors_notes_and_flags(personas, tip, provider, source):
    other = tip_actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="OTHER-1",
        selectors=[tip_actions.SelectorInput("email", "subscriber.one@mail.example")],
    )
    s = _served(tip, provider, personas)
    with pytest.raises(ValidationError, match="is served; this step needs it"):
        actions.do_close_subpoena(s, actor=personas.investigator)
    result = actions.do_record_response(
        s,
        actor=personas.investigator,
        outcome="response_received",
        subscriber_name="Pat Subscriber",
        address="9 Elm Road, Springfield",
        phones="+1 202 555 0199",
        emails="Subscriber.One@mail.example",
        account_ids="ACCT-778",
        payment="4111 1111 1111 1111",
        sessions="2026-11-03 14:00:00 UTC start 203.0.113.7\n2026-11-03 15:10:00 UTC end 203.0.113.7",
    )
    assert s.status == "response_received" and s.outcome == "response_received"
    types = set(
        tip.selectors.filter(details__from_subpoena=s.reference).values_list("type", flat=True)
    )
    assert {"person", "address", "phone", "email", "attribute", "card"} <= types
    card = tip.selectors.get(type="card")
    assert card.masked.endswith("1111") and "4111111111111111" not in card.value
    from vigil.deconfliction.models import Flag

    flag = Flag.objects.get(tip_a__in=[tip, other], tip_b__in=[tip, other])
    assert flag.display == "subscriber.one@mail.example"
    assert result["flags"] >= 1 and result["selectors"] >= 6
    note = tip.notes.get()
    assert s.reference in note.body and "Pat Subscriber" in note.body and "4111" not in note.body
    resp = s.responses.get()
    assert resp.payment == "**** **** **** 1111" and len(resp.sessions) == 2
    actions.do_close_subpoena(s, actor=personas.investigator)
    assert s.status == "closed"


def test_it_marks_a_response_that_contradicts_the_tip(personas, tip, provider, source):
    tip_actions.do_add_selectors(
        tip, [tip_actions.SelectorInput("person", "Jordan Sample")], actor=personas.investigator
    )
    s = _served(tip, provider, personas)
    result = actions.do_record_response(
        s, actor=personas.investigator, outcome="response_received", subscriber_name="Casey Other"
    )
    s.refresh_from_db()
    assert (
        s.contradiction
        and "Jordan Sample" in s.contradiction_note
        and "Casey Other" in s.contradiction_note
    )
    assert result["contradiction"]
    # Another subpoena about the same IP and time naming yet another subscriber.
    t2 = tip_actions.do_create_tip(
        actor=personas.manager,
        source=source,
        source_reference="T2",
        selectors=[tip_actions.SelectorInput("ip", "203.0.113.7", observed_at=OBSERVED)],
    )
    tip_actions.do_assign_tip(t2, personas.investigator, actor=personas.manager)
    s2 = _served(t2, provider, personas)
    actions.do_record_response(
        s2, actor=personas.manager, outcome="response_received", subscriber_name="Robin Third"
    )
    s2.refresh_from_db()
    assert s2.contradiction and s.reference in s2.contradiction_note


def test_it_marks_and_clears_a_contradiction_by_hand(personas, tip, provider):
    s = _served(tip, provider, personas)
    actions.do_mark_contradiction(
        s, "the session log shows another address", actor=personas.investigator
    )
    assert s.contradiction
    actions.do_mark_contradiction(s, "", actor=personas.investigator)
    assert not s.contradiction
    assert AuditEvent.objects.filter(action="subpoena.contradiction").count() == 2


def test_it_chains_a_new_subpoena_when_the_provider_names_another_entity(personas, tip, provider):
    s = _served(tip, provider, personas)
    result = actions.do_record_response(
        s,
        actor=personas.investigator,
        outcome="not_our_customer",
        not_customer_entity="Reseller Networks",
    )
    child = result["chained"]
    assert s.status == "not_our_customer" and s.not_customer_entity == "Reseller Networks"
    assert (
        child.parent == s
        and child.status == "drafted"
        and child.provider.name == "Reseller Networks"
    )
    assert [i.value for i in child.identifiers.all()] == ["203.0.113.7"]
    assert child.categories == s.categories
    assert [x.pk for x in child.chain()] == [s.pk, child.pk] == [x.pk for x in s.chain()]
    assert Provider.objects.get(name="Reseller Networks").notes.startswith("Added from")
    # The chain goes on: the reseller answers; the first provider stays the root.
    actions.do_approve_subpoena(child, actor=personas.manager)
    actions.do_serve_subpoena(child, actor=personas.investigator, method="email")
    grandchild = actions.do_record_response(
        child,
        actor=personas.investigator,
        outcome="not_our_customer",
        not_customer_entity="example cable",
    )["chained"]
    assert grandchild.provider == provider  # matched by name, case-insensitively
    assert [x.pk for x in grandchild.chain()] == [s.pk, child.pk, grandchild.pk]


def test_it_records_no_records_without_selectors(personas, tip, provider):
    s = _served(tip, provider, personas)
    before = tip.selectors.count()
    actions.do_record_response(s, actor=personas.investigator, outcome="no_records")
    assert s.status == "no_records" and tip.selectors.count() == before
    with pytest.raises(ValidationError, match="needs it served"):
        actions.do_record_response(s, actor=personas.investigator, outcome="no_records")


def test_it_refuses_a_bad_response_and_changes_nothing(personas, tip, provider):
    s = _served(tip, provider, personas)
    before = tip.selectors.count()
    with pytest.raises(ValidationError, match="email"):
        actions.do_record_response(
            s,
            actor=personas.investigator,
            outcome="response_received",
            subscriber_name="Pat",
            emails="not-an-email",
        )
    with pytest.raises(ValidationError, match="Outcome must be"):
        actions.do_record_response(s, actor=personas.investigator, outcome="maybe")
    with pytest.raises(ValidationError, match="at least one"):
        actions.do_record_response(s, actor=personas.investigator, outcome="response_received")
    s.refresh_from_db()
    assert s.status == "served" and tip.selectors.count() == before and not s.responses.exists()


def test_it_reads_a_response_csv(personas):
    parsed = actions.parse_response_csv(
        b"name,email,session\nPat,pat@mail.example,2026-11-03 14:00 login 203.0.113.7\n,pat2@mail.example,2026-11-03 15:00 logout\n"
    )
    assert parsed["subscriber_name"] == "Pat" and parsed["emails"] == [
        "pat@mail.example",
        "pat2@mail.example",
    ]
    assert len(parsed["sessions"]) == 2
    with pytest.raises(ValidationError, match="Unknown response column"):
        actions.parse_response_csv(b"name,shoe_size\nPat,9\n")


def test_it_surfaces_overdue_subpoenas(personas, tip, provider, rf):
    s = _served(tip, provider, personas)
    assert not Subpoena.objects.overdue().exists()
    Subpoena.objects.filter(pk=s.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    assert list(Subpoena.objects.overdue()) == [s]
    from vigil.subpoenas.views import dashboard_panel

    request = rf.get("/")
    request.user = personas.investigator
    panel = dashboard_panel(request)
    assert panel.context["overdue_count"] == 1 and panel.context["overdue"][0] == s


def test_it_seals_the_response_document(personas, tip, provider, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    s = _served(tip, provider, personas)
    secret = b"SUBSCRIBER RECORDS: Pat Subscriber, 9 Elm Road"
    actions.do_attach_response_document(
        s, SimpleUploadedFile("answer.pdf", secret), actor=personas.investigator
    )
    s.refresh_from_db()
    stored = list((settings.MEDIA_STORE_DIR).rglob("*.sealed"))
    assert len(stored) == 1 and b"Pat Subscriber" not in stored[0].read_bytes()
    assert actions.open_response_document(s, actor=personas.investigator) == secret
    assert AuditEvent.objects.filter(action="subpoena.response_document_open").exists()


def test_it_counts_for_the_statistics_in_aggregate_queries(
    personas, tip, provider, django_assert_max_num_queries
):
    s = _served(tip, provider, personas)
    actions.do_record_response(s, actor=personas.investigator, outcome="no_records")
    from django.apps import apps

    if not apps.is_installed("vigil.stats"):
        pytest.skip("no statistics app")
    from vigil.stats import registry

    keys = ["subpoenas_issued", "subpoenas_by_provider", "subpoenas_by_outcome"]
    with django_assert_max_num_queries(6):
        report = registry.compute(registry.Period.last_months(1), keys=keys).as_json()
    totals = report["totals"]
    assert totals["subpoenas_issued"] == 1
    assert totals["subpoenas_by_provider"] == {"Example Cable": 1}
    assert totals["subpoenas_by_outcome"]["no_records"] == 1


def test_it_counts_by_month_of_service_provider_and_outcome(personas, tip, provider):
    from django.apps import apps

    if not apps.is_installed("vigil.stats"):
        pytest.skip("no statistics app")
    from vigil.stats import registry

    other = Provider.objects.create(name="Reseller Networks")
    this_month = timezone.now().date().replace(day=1)
    last_month = this_month - dt.timedelta(days=10)
    early = _draft(tip, provider, personas.investigator)
    actions.do_approve_subpoena(early, actor=personas.manager)
    actions.do_serve_subpoena(
        early, actor=personas.investigator, method="mail", served_on=last_month
    )
    actions.do_record_response(early, actor=personas.investigator, outcome="no_records")
    now = _served(tip, other, personas)
    actions.do_record_response(
        now, actor=personas.investigator, outcome="not_our_customer", not_customer_entity=""
    )
    _draft(tip, provider, personas.investigator)  # drafted, never served: not counted
    keys = ["subpoenas_issued", "subpoenas_by_provider", "subpoenas_by_outcome"]
    report = registry.compute(registry.Period.last_months(2), keys=keys).as_json()
    old, new = report["months"]
    assert (old["month"], new["month"]) == (f"{last_month:%Y-%m}", f"{this_month:%Y-%m}")
    assert (old["subpoenas_issued"], new["subpoenas_issued"]) == (1, 1)
    assert old["subpoenas_by_provider"] == {"Example Cable": 1, "Reseller Networks": 0}
    assert new["subpoenas_by_provider"] == {"Example Cable": 0, "Reseller Networks": 1}
    assert old["subpoenas_by_outcome"]["no_records"] == 1
    assert new["subpoenas_by_outcome"]["not_our_customer"] == 1
    assert report["totals"]["subpoenas_issued"] == 2
