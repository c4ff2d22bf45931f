from __future__ import annotations

import pytest

from vigil.audit.models import AuditEvent
from vigil.deconfliction import actions
from vigil.deconfliction.models import CommonValue, Flag, TipNotice
from vigil.deconfliction.tests import factories as f
from vigil.tips import signals
from vigil.tips.models import Tip

pytestmark = pytest.mark.django_db

# Two spellings of one data point per flagging type: each pair must normalise
# to the same value and raise exactly one flag.
SPELLINGS = [
    ("ip", "81.2.69.160", "81.2.69.160:8080"),
    ("ip", "2a00:1450:4001:82a::200e", "[2A00:1450:4001:082A:0:0:0:200E]:443"),
    ("email", "John.Doe@Example.org", "mailto:john.doe@example.org"),
    ("email", "j.o.h.n+vigil@googlemail.com", "john@gmail.com"),
    ("email", "john.doe[at]example[.]org", "JOHN.DOE@EXAMPLE.ORG"),
    ("url", "hxxps://Example.org/path", "https://example.org/path"),
    ("online_id", "https://www.instagram.com/Some.User/", "instagram:some.user"),
    ("phone", "(202) 555-0143", "+1 202 555 0143"),
    ("ssn", "123-45-6789", "123 45 6789"),
    ("card", "4111 1111 1111 1111", "4111-1111-1111-1111"),
    ("address", "12  Main Street, Springfield", "12 main street, springfield"),
    ("vehicle", "ABC-123", "abc 123"),
    ("domain", "Example-Shop.org", "example-shop.org."),
]


@pytest.mark.parametrize(("type_", "first", "second"), SPELLINGS)
def test_it_flags_each_type_across_spellings(type_, first, second):
    a, b = f.tip(), f.tip()
    assert f.add(a, type_, first) == 0
    assert f.add(b, type_, second) == 1
    flag = Flag.objects.get()
    assert (flag.tip_a_id, flag.tip_b_id) == (a.pk, b.pk)
    assert flag.type == type_
    assert flag.status == Flag.Status.OPEN
    if type_ in ("ssn", "card"):
        # Matched by keyed hash; only the masked form is ever shown or exported.
        assert first[-4:].replace(" ", "") in flag.display
        assert "****" in flag.display or "***-" in flag.display
        assert flag.value != first


def test_it_does_not_flag_attributes_or_file_hashes():
    a, b = f.tip(), f.tip()
    for t in (a, b):
        s = f.Selector.objects.create(tip=t, type="attribute", value="colour blue", raw="x")
        actions.do_flag_selectors(t, [s], actor=None)
    assert not Flag.objects.exists()


def test_it_does_not_flag_free_mail_domains_but_flags_their_addresses():
    a, b = f.tip(), f.tip()
    f.add(a, "domain", "gmail.com")
    assert f.add(b, "domain", "GMAIL.com") == 0
    assert TipNotice.objects.filter(tip=b, type="domain", value="gmail.com").exists()
    f.add(a, "email", "someone.else@gmail.com")
    assert f.add(b, "email", "someoneelse@gmail.com") == 1


def test_it_flags_only_once_per_pair_and_value():
    a, b = f.tip(), f.tip()
    s_a = f.selector(a, "email", "x@example.org")
    s_b = f.selector(b, "email", "x@example.org")
    assert actions.do_flag_selectors(b, [s_b], actor=None) == 1
    assert actions.do_flag_selectors(a, [s_a], actor=None) == 0
    assert Flag.objects.count() == 1


def test_it_never_brings_back_a_dismissed_flag(personas):
    a, b = f.tip(assigned=personas.investigator), f.tip()
    f.add(a, "email", "x@example.org")
    f.add(b, "email", "x@example.org")
    flag = Flag.objects.get()
    actions.do_dismiss_flag(flag, reason="shared office mailbox", actor=personas.investigator)
    s_b = f.Selector.objects.get(tip=b)
    assert actions.do_flag_selectors(b, [s_b], actor=None) == 0
    assert Flag.objects.get().status == Flag.Status.DISMISSED


def test_it_flags_within_one_batch():
    a, b, c = f.tip(), f.tip(), f.tip()
    items = [(t, [f.selector(t, "phone", "+1 202 555 0143")]) for t in (a, b, c)]
    outcome = actions.do_flag_tips(items, actor=None)
    assert outcome.count == 3
    assert Flag.objects.count() == 3


def test_it_turns_a_value_over_the_threshold_into_one_notice(settings):
    settings.COMMON_VALUE_THRESHOLD = 3
    tips = [f.tip() for _ in range(3)]
    for t in tips:
        f.add(t, "ip", "81.2.69.160")
    assert Flag.objects.count() == 3  # 3 tips: pairwise flags still
    fourth = f.tip()
    assert f.add(fourth, "ip", "81.2.69.160") == 0
    assert Flag.objects.count() == 3
    cv = CommonValue.objects.get(type="ip", value="81.2.69.160")
    assert cv.tip_count == 4
    # Every holder is told once, and later tips only get the notice.
    assert TipNotice.objects.filter(value="81.2.69.160").count() == 4
    fifth = f.tip()
    assert f.add(fifth, "ip", "81.2.69.160") == 0
    assert TipNotice.objects.filter(tip=fifth, reason=TipNotice.Reason.COMMON).exists()
    assert Flag.objects.count() == 3


@pytest.mark.parametrize(
    "ip",
    [
        "10.1.2.3",
        "192.168.0.10",
        "172.20.1.1",
        "100.64.3.3",
        "127.0.0.1",
        "8.8.8.8",
        "1.1.1.1",
        "fe80::1",
        "fd12:3456::1",
        "203.0.113.7",
    ],
)
def test_it_puts_reserved_ranges_and_resolvers_on_the_warning_list(ip):
    a, b = f.tip(), f.tip()
    f.add(a, "ip", ip)
    assert f.add(b, "ip", ip) == 0
    notice = TipNotice.objects.get(tip=b)
    assert notice.reason == TipNotice.Reason.WARNING_LIST


def test_it_matches_admin_added_ranges_by_cidr_containment(personas):
    actions.do_add_warning_entry(
        type="ip", value="81.2.69.0/24", note="VPN exit range", actor=personas.admin
    )
    a, b = f.tip(), f.tip()
    f.add(a, "ip", "81.2.69.160")
    assert f.add(b, "ip", "81.2.69.160") == 0
    assert "VPN exit range" in TipNotice.objects.get(tip=b).detail
    # Outside the range: flagged as usual.
    f.add(a, "ip", "81.2.70.1")
    assert f.add(b, "ip", "81.2.70.1") == 1


def test_it_flags_again_once_a_warning_entry_is_removed(personas):
    entry = actions.do_add_warning_entry(
        type="email", value="Info@Example.org", actor=personas.manager
    )
    assert entry.value == "info@example.org"
    a, b, c = f.tip(), f.tip(), f.tip()
    f.add(a, "email", "info@example.org")
    assert f.add(b, "email", "info@example.org") == 0
    actions.do_remove_warning_entry(entry, actor=personas.manager)
    assert f.add(c, "email", "info@example.org") == 2
    assert AuditEvent.objects.filter(action="deconfliction.warning_remove").exists()


def test_it_answers_the_tips_signal_with_the_number_of_flags():
    a, b = f.tip(), f.tip()
    s_a = f.selector(a, "email", "x@example.org")
    signals.selectors_added.send(sender=Tip, tip=a, selectors=[s_a], actor=None)
    s_b1 = f.selector(b, "email", "x@example.org")
    s_b2 = f.selector(b, "vehicle", "zz 999")
    results = signals.selectors_added.send(sender=Tip, tip=b, selectors=[s_b1, s_b2], actor=None)
    assert sum(r for _, r in results) == 1


def test_it_withdraws_open_flags_when_selectors_are_removed(personas):
    a, b, c = f.tip(), f.tip(assigned=personas.investigator), f.tip()
    f.add(a, "email", "x@example.org")
    f.add(b, "email", "x@example.org")
    f.add(c, "email", "x@example.org")
    dismissed = Flag.objects.get(tip_a=a, tip_b=c)
    actions.do_dismiss_flag(dismissed, reason="no", actor=personas.manager)
    f.Selector.objects.filter(tip=a).delete()
    results = signals.selectors_removed.send(
        sender=Tip, tip=a, selectors=[("email", "x@example.org")], actor=None
    )
    assert sum(r for _, r in results) == 1
    assert set(Flag.objects.values_list("tip_a_id", "tip_b_id", "status")) == {
        (a.pk, c.pk, "dismissed"),
        (b.pk, c.pk, "open"),
    }


def test_it_audits_raised_flags():
    a, b = f.tip(), f.tip()
    f.add(a, "email", "x@example.org")
    f.add(b, "email", "x@example.org")
    event = AuditEvent.objects.get(action="deconfliction.flags_raised")
    assert event.object_id == str(b.pk)


def test_it_never_links_automatically():
    a, b = f.tip(), f.tip()
    f.add(a, "email", "x@example.org")
    f.add(b, "email", "x@example.org")
    from vigil.deconfliction.models import Link

    assert not Link.objects.exists()


def test_it_flags_a_handle_of_unknown_platform_against_the_same_handle_anywhere():
    kik, forum, insta = f.tip(), f.tip(), f.tip()
    f.add(kik, "online_id", "kik:kestrel99")
    s = f.Selector.objects.create(tip=forum, type="online_id", value="unknown:kestrel99")
    assert actions.do_flag_selectors(forum, [s], actor=None) == 1
    flag = Flag.objects.get()
    assert (flag.value, flag.value_b) == ("kik:kestrel99", "unknown:kestrel99")
    assert "unknown" in flag.match_reason or "unknown" in flag.display
    # Two known platforms never match each other; the unknown one matches both.
    assert f.add(insta, "online_id", "instagram:kestrel99") == 1
    assert set(Flag.objects.values_list("value", "value_b")) == {
        ("kik:kestrel99", "unknown:kestrel99"),
        ("instagram:kestrel99", "unknown:kestrel99"),
    }
    # Removing the unknown-platform handle withdraws its open flags.
    f.Selector.objects.filter(tip=forum).delete()
    assert (
        actions.do_withdraw_selectors(forum, [("online_id", "unknown:kestrel99")], actor=None) == 2
    )


def test_it_names_values_that_raised_no_flag_in_the_import_summary(personas, settings, tmp_path):
    from vigil.tips.importing import import_file

    settings.COMMON_VALUE_THRESHOLD = 2
    f.source("Hotline")
    path = tmp_path / "tips.csv"
    path.write_text(
        "reference,received_at,ip_address,url\n"
        "W-1,2024-03-01,10.1.2.3,https://files.example.org/x\n"
        "W-2,2024-03-02,10.1.2.3,https://files.example.org/x\n"
        "W-3,2024-03-03,81.2.69.160,https://files.example.org/x\n"
    )
    s = import_file(path, actor=personas.manager, source=f.source("Hotline"))
    assert s.tips_created == 3
    joined = "\n".join(s.warnings)
    assert "ip 10.1.2.3: on the warning list" in joined
    assert "url https://files.example.org/x: a common value" in joined


def test_it_audits_a_value_becoming_common(settings):
    settings.COMMON_VALUE_THRESHOLD = 2
    tips = [f.tip() for _ in range(3)]
    for t in tips[:2]:
        f.add(t, "ip", "81.2.69.160")
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    f.add(tips[2], "ip", "81.2.69.160")
    (event,) = AuditEvent.objects.exclude(pk__in=before).filter(action="deconfliction.flags_raised")
    assert event.changes["common_values"] == [["ip", "81.2.69.160", 3]]
    assert event.changes["folded"] == 1  # the one open flag between the first two tips


def test_it_audits_withdrawn_notices_too(settings):
    settings.COMMON_VALUE_THRESHOLD = 2
    tips = [f.tip() for _ in range(4)]
    for t in tips:
        f.add(t, "ip", "81.2.69.160")
    last = tips[-1]
    assert TipNotice.objects.filter(tip=last).exists()
    assert not Flag.objects.open().involving(last.pk).exists()
    f.Selector.objects.filter(tip=last).delete()
    signals.selectors_removed.send(
        sender=Tip, tip=last, selectors=[("ip", "81.2.69.160")], actor=None
    )
    assert not TipNotice.objects.filter(tip=last).exists()
    event = AuditEvent.objects.get(action="deconfliction.flags_withdrawn")
    assert event.object_id == str(last.pk)
    assert event.changes == {"flags": 0, "notices": 1}


def test_an_import_summary_names_a_warning_listed_range_in_one_line(personas, tmp_path):
    from vigil.tips.importing import import_file

    path = tmp_path / "server.csv"
    rows = "".join(f"S-{i},2024-03-01,10.0.0.{i}\n" for i in range(1, 51))
    path.write_text("reference,received_at,ip_address\n" + rows + "S-99,2024-03-01,10.9.9.9\n")
    # Batches of 7: eight batches' notes merge into one line.
    s = import_file(path, actor=personas.manager, source=f.source("Hotline"), batch_size=7)
    assert s.tips_created == 51
    listed = [w for w in s.warnings if "on the warning list" in w]
    assert len(listed) == 1, s.warnings
    assert listed[0].startswith(
        "ip 10.0.0.1, 10.0.0.2, 10.0.0.3 and more, on 51 tips: on the warning list ("
    )
    assert listed[0].endswith("); no flag raised")


def test_an_import_batch_audits_its_flags_per_tip_and_its_notices_as_pairs(personas, tmp_path):
    from vigil.tips.importing import import_file

    path = tmp_path / "mixed.csv"
    path.write_text(
        "reference,received_at,ip_address,email\n"
        "M-1,2024-03-01,10.0.0.1,one@example.org\n"
        "M-2,2024-03-01,10.0.0.2,one@example.org\n"
        "M-3,2024-03-01,10.0.0.3,three@example.org\n"
    )
    import_file(path, actor=personas.manager, source=f.source("Hotline"))
    m1, m2, m3 = (Tip.objects.get(source_reference=f"M-{i}").pk for i in (1, 2, 3))
    event = AuditEvent.objects.get(action="deconfliction.flags_raised")
    # The two tips that share an address: their flags (and their notices' count) per tip.
    assert set(event.changes["tips"]) == {str(m1), str(m2)}
    assert event.changes["tips"][str(m2)]["flags"] == [[m1, "email", "one@example.org"]]
    assert event.changes["tips"][str(m2)]["notices"] == 1
    # The tip that only got a notice (its warning-listed address): [tip, notices].
    assert event.changes["notices"] == [[m3, 1]]
    assert "on 3 of 3 tips" in event.summary


def test_the_summary_merges_value_notes_and_says_a_plain_note_once():
    from vigil.tips.importing.rows import Summary
    from vigil.tips.signals import ValuesNote

    s = Summary()
    tail = ": on the warning list (x); no flag raised"
    s.note(ValuesNote("ip", tail, ("10.1.2.3",), 1))
    s.note(ValuesNote("ip", tail, ("10.1.2.3",), 1))
    assert s.warnings == ["ip 10.1.2.3" + tail]
    s.note(ValuesNote("ip", tail, ("10.0.0.1", "10.0.0.2", "10.0.0.3"), 5, more=True))
    assert s.warnings == ["ip 10.1.2.3, 10.0.0.1, 10.0.0.2 and more, on 7 tips" + tail]
    s.note("plain")
    s.note("plain")
    assert s.warnings[1:] == ["plain"]
    assert "_grouped" not in s.as_dict()
