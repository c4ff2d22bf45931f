import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from vigil.audit.models import AuditEvent
from vigil.lib import crypto
from vigil.tips import actions
from vigil.tips.actions import SelectorInput
from vigil.tips.actions.common import label
from vigil.tips.models import Selector, Source, Tip
from vigil.tips.signals import selectors_added, selectors_removed

from .conftest import make_tip


@pytest.fixture
def signals_seen():
    seen = {"added": [], "removed": []}

    def on_added(sender, *, tip, selectors, actor, **kw):
        seen["added"].append((tip.pk, sorted((s.type, s.value) for s in selectors)))
        return len(selectors)

    def on_removed(sender, *, tip, selectors, actor, **kw):
        seen["removed"].append((tip.pk, selectors))

    selectors_added.connect(on_added, dispatch_uid="test-added")
    selectors_removed.connect(on_removed, dispatch_uid="test-removed")
    yield seen
    selectors_added.disconnect(dispatch_uid="test-added")
    selectors_removed.disconnect(dispatch_uid="test-removed")


def test_it_creates_a_tip_with_explicit_and_extracted_selectors(personas, source, signals_seen):
    tip = make_tip(
        personas.investigator,
        source,
        "R-1",
        "Chat from hxxp://bad[.]example[.]com/x and 203.0.113[.]9",
        selectors=[
            SelectorInput("email", "John.Doe+x@GMAIL.com"),
            SelectorInput("ip", "203.0.113.9"),
        ],
    )
    values = {(s.type, s.value): s for s in tip.selectors.all()}
    assert values[("email", "johndoe@gmail.com")].confirmed
    assert not values[("email", "johndoe@gmail.com")].extracted
    # the explicit IP wins over the extracted one: one row, confirmed
    assert values[("ip", "203.0.113.9")].confirmed
    url = values[("url", "http://bad.example.com/x")]
    assert url.extracted and not url.confirmed
    assert tip.assigned_to == personas.investigator  # an investigator owns what they create
    assert signals_seen["added"][0][0] == tip.pk
    assert AuditEvent.objects.filter(action="tip.create", object_id=str(tip.pk)).exists()


def test_it_rejects_a_tip_with_an_invalid_selector_and_saves_nothing(personas, source):
    with pytest.raises(ValidationError) as exc:
        make_tip(personas.manager, source, "R-2", selectors=[SelectorInput("ip", "999.1.1.1")])
    assert "ip" in exc.value.messages[0]
    assert not Tip.objects.exists()


def test_it_refuses_a_duplicate_reference(personas, source):
    make_tip(personas.manager, source, "R-3")
    with pytest.raises(ValidationError):
        make_tip(personas.manager, source, "R-3")


def test_it_refuses_readers_and_admins_creating(personas, source):
    for who in (personas.reader, personas.admin):
        with pytest.raises(PermissionDenied):
            make_tip(who, source, "R-4")


def test_it_encrypts_and_masks_ssn_and_card(personas, source):
    tip = make_tip(
        personas.manager,
        source,
        "R-5",
        selectors=[
            SelectorInput("ssn", "123-45-6789"),
            SelectorInput("card", "4111 1111 1111 1111"),
        ],
    )
    ssn = tip.selectors.get(type="ssn")
    assert ssn.raw == "" and ssn.masked == "***-**-6789"
    assert ssn.value == crypto.keyed_hash("ssn", "123456789")
    assert crypto.decrypt_field(ssn.encrypted) == "123456789"
    card = tip.selectors.get(type="card")
    assert card.masked == "**** **** **** 1111"
    assert "6789" not in str(
        AuditEvent.objects.filter(object_id=str(tip.pk)).values_list("changes", flat=True)[0]
    ).replace("***-**-6789", "")


def test_it_dedupes_adding_selectors_and_confirms_extracted(personas, tip, signals_seen):
    inv = personas.investigator
    extracted = tip.selectors.get(type="email")
    assert not extracted.confirmed
    added = actions.do_add_selectors(
        tip, [SelectorInput("email", "bob.suspect@example.com")], actor=inv
    )
    assert added == []
    extracted.refresh_from_db()
    assert extracted.confirmed
    added = actions.do_add_selectors(
        tip, [SelectorInput("online_id", "instagram:@Kid_Bob")], actor=inv
    )
    assert [s.value for s in added] == ["instagram:kid_bob"]
    assert signals_seen["added"][-1] == (tip.pk, [("online_id", "instagram:kid_bob")])


def test_it_audits_a_proposed_selector_confirmed_by_adding_it_again(personas, tip):
    extracted = tip.selectors.get(type="email")
    rows = AuditEvent.objects.filter(action="tip.selector_confirm", object_id=str(tip.pk))
    assert not rows.exists()
    actions.do_add_selectors(
        tip, [SelectorInput("email", "bob.suspect@example.com")], actor=personas.investigator
    )
    (event,) = rows
    assert event.actor == personas.investigator
    assert event.changes["confirmed"] == [label(extracted)]
    # Adding it once more changes nothing and writes nothing.
    actions.do_add_selectors(
        tip, [SelectorInput("email", "bob.suspect@example.com")], actor=personas.investigator
    )
    assert rows.count() == 1


def test_it_lets_only_the_assignee_or_a_manager_change_a_tip(personas, tip):
    with pytest.raises(PermissionDenied):
        actions.do_add_selectors(
            tip, [SelectorInput("email", "x@example.com")], actor=personas.other_investigator
        )
    with pytest.raises(PermissionDenied):
        actions.do_triage_tip(tip, "actionable", actor=personas.reader)
    actions.do_triage_tip(tip, "actionable", actor=personas.manager)


def test_it_confirms_and_removes_selectors_with_signals(personas, tip, signals_seen):
    s = tip.selectors.get(type="ip")
    actions.do_confirm_selector(s, actor=personas.investigator)
    assert Selector.objects.get(pk=s.pk).confirmed
    actions.do_remove_selector(s, actor=personas.investigator, reason="typo")
    assert not Selector.objects.filter(pk=s.pk).exists()
    assert signals_seen["removed"] == [(tip.pk, [("ip", "203.0.113.7")])]
    assert AuditEvent.objects.filter(action="tip.selector_remove").exists()


def test_it_triages_with_reasons_and_keeps_unfounded_tips(personas, tip):
    with pytest.raises(ValidationError):
        actions.do_triage_tip(tip, "unfounded", actor=personas.investigator)
    actions.do_triage_tip(tip, "unfounded", actor=personas.investigator, reason="Prank call")
    tip.refresh_from_db()
    assert tip.status == "unfounded" and tip.status_reason == "Prank call"
    assert Tip.objects.filter(pk=tip.pk).exists()
    with pytest.raises(ValidationError):
        actions.do_triage_tip(tip, "new", actor=personas.investigator)


def test_it_sets_priority(personas, tip):
    actions.do_set_priority(tip, 1, actor=personas.investigator)
    assert Tip.objects.get(pk=tip.pk).priority == 1
    with pytest.raises(ValidationError):
        actions.do_set_priority(tip, 9, actor=personas.investigator)


def test_it_assigns_by_manager_and_lets_investigators_take_unassigned(personas, source):
    t = make_tip(personas.manager, source, "R-9")
    with pytest.raises(PermissionDenied):
        actions.do_assign_tip(t, personas.investigator, actor=personas.other_investigator)
    actions.do_assign_tip(t, personas.other_investigator, actor=personas.other_investigator)
    t.refresh_from_db()
    assert t.assigned_to == personas.other_investigator and t.status == "in_review"
    with pytest.raises(PermissionDenied):  # not unassigned any more
        actions.do_assign_tip(t, personas.investigator, actor=personas.investigator)
    actions.do_assign_tip(t, personas.investigator, actor=personas.manager)
    assert Tip.objects.get(pk=t.pk).assigned_to == personas.investigator
    with pytest.raises(ValidationError):
        actions.do_assign_tip(t, personas.reader, actor=personas.manager)
    assert (
        personas.investigator.messages.exists()
        if hasattr(personas.investigator, "messages")
        else True
    )


def test_it_appends_research_notes_with_attachments(personas, tip, settings):
    f = SimpleUploadedFile("whois results.txt", b"registrant: example")
    note = actions.do_add_research_note(
        tip, "WHOIS looked up", actor=personas.investigator, attachment=f
    )
    path = settings.UPLOAD_DIR / note.attachment_path
    # Sealed at rest (issue 13, item 9); it decrypts to what was uploaded.
    from vigil.lib import crypto

    assert path.read_bytes()[:4] == b"VGL1" and b"registrant" not in path.read_bytes()
    assert crypto.open_sealed(path, bytes(note.attachment_key)) == b"registrant: example"
    assert note.attachment_name == "whois results.txt" and note.attachment_size == 19
    with pytest.raises(ValidationError):
        actions.do_add_research_note(tip, "  ", actor=personas.investigator)
    with pytest.raises(PermissionDenied):
        actions.do_add_research_note(tip, "x", actor=personas.other_investigator)


def test_it_keeps_a_chain_of_custody(personas, tip):
    now = dt.datetime(2025, 1, 2, 10, tzinfo=dt.UTC)
    item = actions.do_add_evidence_item(
        tip,
        actor=personas.investigator,
        description="USB stick 16 GB",
        received_from="Officer K",
        received_at=now,
        stored_at="Locker 4",
    )
    actions.do_record_evidence_transfer(
        item,
        actor=personas.investigator,
        from_party="Locker 4",
        to_party="Forensics lab",
        transferred_at=now + dt.timedelta(days=1),
        stored_at="Lab safe 2",
    )
    item.refresh_from_db()
    assert item.stored_at == "Lab safe 2" and item.transfers.count() == 1
    with pytest.raises(ValidationError):
        actions.do_record_evidence_transfer(
            item,
            actor=personas.investigator,
            from_party="a",
            to_party="b",
            transferred_at=now - dt.timedelta(days=1),
            stored_at="x",
        )
    assert AuditEvent.objects.filter(action="tip.evidence_transfer").count() == 1


def test_it_flags_tips_from_an_unreliable_source(personas, source):
    with pytest.raises(PermissionDenied):
        actions.do_update_source(
            source, actor=personas.investigator, reliability="malicious", reliability_note="x"
        )
    with pytest.raises(ValidationError):
        actions.do_update_source(source, actor=personas.manager, reliability="malicious")
    actions.do_update_source(
        source,
        actor=personas.manager,
        reliability="malicious",
        reliability_note="Fabricated reports",
    )
    t = make_tip(personas.manager, source, "R-10")
    assert t.source_warning == "Source marked malicious: Fabricated reports"
    s2 = actions.do_create_source(actor=personas.admin, name="NGO Beta", kind="ngo")
    assert Source.objects.get(pk=s2.pk).kind == "ngo"
    with pytest.raises(ValidationError):
        actions.do_create_source(actor=personas.manager, name="ngo beta")


def test_it_proposes_new_selectors_when_the_narrative_changes(personas, tip):
    actions.do_update_tip(tip, actor=personas.investigator, narrative="now also evil@example.org")
    assert tip.selectors.filter(type="email", value="evil@example.org", extracted=True).exists()
    ev = AuditEvent.objects.filter(action="tip.update").latest("id")
    assert "narrative" in ev.changes


def test_the_demo_data_loads_once(personas):
    from vigil.tips import demo

    assert demo.load(personas.manager) == "30 tips created"
    assert demo.load(personas.manager) == "tips exist already"
    assert (
        Tip.objects.count() == 30
        and Tip.objects.filter(source_warning__startswith="Source marked").exists()
    )
    assert (
        Selector.objects.filter(value="suspect0@example.com").values("tip").distinct().count() > 1
    )
