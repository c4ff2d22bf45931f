import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from vigil.audit.models import AuditEvent
from vigil.testing import conformance
from vigil.tips import actions
from vigil.tips.importing import ImportFileError, import_file
from vigil.tips.models import Selector, Source, Tip

EXAMPLE_XML = str(conformance.CYBERTIPLINE / "cybertipline_report_example_doc6.1.xml")
HEADER = "reference,received_at,source,narrative,ip_address,email,online_id,url,phone,suspect_name,suspect_dob,country,case_colour\n"
GOOD = (
    HEADER
    + 'A-1,2024-03-01T10:22:00Z,,"Talked to kid_bob, see hxxp://evil[.]test/x",203.0.113.5|2024-03-01T10:22:00Z;198.51.100.7,'
    "John.Doe@GMAIL.com,twitter:@Bob,,+1 202 555 0143,Doe John,1980-01-02,US,red\n"
    "A-2,2024-03-02,,plain,203.0.113.6,,,http://www.Example.com:80/a/#frag,,,,,\n"
)


def _write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def test_it_imports_the_documented_csv_format(personas, source, tmp_path):
    s = import_file(_write(tmp_path, "t.csv", GOOD), actor=personas.manager, source=source)
    assert (s.rows_read, s.tips_created, s.rejected_count) == (2, 2, 0)
    t = Tip.objects.get(source_reference="A-1")
    got = set(t.selectors.values_list("type", "value"))
    assert {
        ("ip", "203.0.113.5"),
        ("ip", "198.51.100.7"),
        ("email", "johndoe@gmail.com"),
        ("online_id", "x:bob"),
        ("phone", "+12025550143"),
        ("person", "doe john"),
        ("url", "http://evil.test/x"),
        ("attribute", "case_colour: red"),
    } <= got
    ip = t.selectors.get(value="203.0.113.5")
    assert ip.observed_at.isoformat() == "2024-03-01T10:22:00+00:00"
    assert t.selectors.get(type="person").details == {"dob": "1980-01-02"}
    assert t.selectors.get(type="url").extracted
    assert t.attributes == {"case_colour": "red"} and t.received_via == "bulk"
    assert (
        Tip.objects.get(source_reference="A-2")
        .selectors.filter(value="http://example.com/a")
        .exists()
    )
    ev = AuditEvent.objects.get(action="tip.import_create")
    assert [row[2] for row in ev.changes["tips"]] == ["A-1", "A-2"] and ev.actor == personas.manager
    assert AuditEvent.objects.filter(action="tip.import").count() == 1


def test_it_reimports_without_duplicates_and_updates_changed_rows(personas, source, tmp_path):
    p = _write(tmp_path, "t.csv", GOOD)
    import_file(p, actor=personas.manager, source=source)
    n_sel = Selector.objects.count()
    s = import_file(p, actor=personas.manager, source=source)
    assert (s.tips_created, s.tips_updated, s.tips_unchanged) == (0, 0, 2)
    assert Tip.objects.count() == 2 and Selector.objects.count() == n_sel
    changed = GOOD.replace("plain,203.0.113.6", "plain and more,203.0.113.6;203.0.113.77")
    s = import_file(_write(tmp_path, "t2.csv", changed), actor=personas.manager, source=source)
    assert (s.tips_created, s.tips_updated, s.tips_unchanged) == (0, 1, 1)
    t = Tip.objects.get(source_reference="A-2")
    assert t.narrative == "plain and more" and t.selectors.filter(value="203.0.113.77").exists()
    ev = AuditEvent.objects.filter(action="tip.update", object_id=str(t.pk)).get()
    assert ev.changes["narrative"]["after"] == "plain and more"


@pytest.mark.parametrize(
    "row,reason",
    [
        ("B-1,not a date,,x,,,,,,,,,", "received_at"),
        ("B-1,2024-02-30,,x,,,,,,,,,", "received_at"),
        ("B-1,,,x,999.1.2.3,,,,,,,,", "not a valid IP"),
        ("B-1,,,x,203.0.113.5|yesterday,,,,,,,,", "ip_address time"),
        (",,,no reference,,,,,,,,,", "reference: required"),
        ("B-1,,,x,,not-an-email,,,,,,,", "email"),
        ("B-1,,,x,,,,,,Doe,31/12/1980,,", "suspect_dob"),
        ("B-1,,,x,,,,,,,,USA,", "country"),
        ("B-1,,,x,,,,,,,,ZZ,", "'ZZ' is not an ISO 3166 country code"),
        ("B-1,,Nowhere Office,x,,,,,,,,,", "unknown source"),
        ("B-1,,,x,,,,,,,,,,extra,cells", "cells but the header"),
        ("B-1,,,x" + "y" * 100_001 + ",,,,,,,,,", "narrative"),
        ("B-1,,,x,,,,,,,,," + "z" * 10_001, "case_colour"),
    ],
)
def test_it_rejects_a_bad_row_with_its_line_and_keeps_the_others(
    personas, source, tmp_path, row, reason
):
    text = (
        HEADER + "OK-1,,,fine,203.0.113.1,,,,,,,,\n" + row + "\nOK-2,,,fine,203.0.113.2,,,,,,,,\n"
    )
    s = import_file(_write(tmp_path, "t.csv", text), actor=personas.manager, source=source)
    assert s.tips_created == 2, s.rejected
    assert s.rejected_count == 1
    assert s.rejected[0]["line"] == 3
    assert reason in s.rejected[0]["reason"]
    assert not Tip.objects.filter(source_reference="B-1").exists()
    assert set(Tip.objects.values_list("source_reference", flat=True)) == {"OK-1", "OK-2"}


def test_it_refuses_a_file_that_is_not_utf8(personas, source, tmp_path):
    p = _write(tmp_path, "t.csv", HEADER + "C-1,,,café crème,,,,,,,,,\n", encoding="cp1252")
    s = import_file(p, actor=personas.manager, source=source)
    assert "not UTF-8" in s.error and "line 2" in s.error
    assert not Tip.objects.exists()


def test_it_rejects_only_the_row_with_a_bad_byte_late_in_the_file(
    personas, source, tmp_path, monkeypatch
):
    from vigil.tips.importing import streams

    monkeypatch.setattr(streams, "SNIFF_BYTES", 500)  # the encoding check reads this much
    filler = "".join(
        f"F-{i},,,{'x' * 50},,,,,,,,,\n" for i in range(20)
    )  # > 500 bytes of good rows
    data = (HEADER + filler).encode() + b"BAD-1,,,caf\xe9,,,,,,,,,\nLAST,,,ok,,,,,,,,,\n"
    s = import_file(_write(tmp_path, "t.csv", data), actor=personas.manager, source=source)
    assert s.tips_created == 21
    assert s.rejected == [{"line": 22, "reason": "not valid UTF-8 text; save the file as UTF-8"}]


def test_it_accepts_a_bom_and_case_insensitive_headers(personas, source, tmp_path):
    text = "\ufeffReference,Narrative,EMAIL\nD-1,hello,a@example.com\n"
    s = import_file(_write(tmp_path, "t.csv", text), actor=personas.manager, source=source)
    assert s.tips_created == 1


def test_it_reports_a_missing_header(personas, source, tmp_path):
    s = import_file(
        _write(tmp_path, "t.csv", "E-1,2024-01-01,x\n"),
        actor=personas.manager,
        source=source,
        fmt="csv",
    )
    assert s.error.startswith("Missing header")
    s = import_file(
        _write(tmp_path, "t.csv", "narrative,email\nx,a@example.com\n"),
        actor=personas.manager,
        source=source,
    )
    assert "no 'reference' column" in s.error
    assert not Tip.objects.exists()


def test_it_drops_victim_columns(personas, source, tmp_path):
    text = "reference,narrative,victim_name\nV-1,hello,Jane\n"
    s = import_file(_write(tmp_path, "t.csv", text), actor=personas.manager, source=source)
    assert s.victim_sections_dropped == 1 and s.tips_created == 1
    t = Tip.objects.get()
    assert (
        "Jane" not in json.dumps(t.attributes)
        and not t.selectors.filter(raw__icontains="jane").exists()
    )


def test_it_never_leaves_half_a_tip_when_the_database_refuses_a_row(
    personas, source, tmp_path, refuse_selector_raw
):
    text = (
        HEADER
        + "H-1,,,a,203.0.113.1,,,,,,,,\nH-2,,,b,203.0.113.2,,,,,,,,\nH-3,,,c,203.0.113.3,,,,,,,,\n"
    )
    s = import_file(
        _write(tmp_path, "t.csv", text), actor=personas.manager, source=source, batch_size=2
    )
    assert s.tips_created == 2 and s.rejected_count == 1
    assert s.rejected[0] == {
        "line": 3,
        "reason": "could not be saved: the database refused it (disk full)",
    }  # the database's message; not PostgreSQL's CONTEXT lines or the driver's class
    assert set(Tip.objects.values_list("source_reference", flat=True)) == {"H-1", "H-3"}
    assert set(Selector.objects.values_list("raw", flat=True)) == {"203.0.113.1", "203.0.113.3"}


def test_it_refuses_updating_someone_elses_tip_from_an_investigators_import(
    personas, source, tmp_path
):
    t = actions.do_create_tip(
        actor=personas.manager, source=source, source_reference="I-1", narrative="old"
    )
    actions.do_assign_tip(t, personas.other_investigator, actor=personas.manager)
    text = HEADER + "I-1,,,new text,,,,,,,,,\nI-2,,,fresh,,,,,,,,,\n"
    s = import_file(_write(tmp_path, "t.csv", text), actor=personas.investigator, source=source)
    assert s.tips_created == 1 and s.rejected_count == 1
    assert "assigned to someone else" in s.rejected[0]["reason"]
    assert Tip.objects.get(pk=t.pk).narrative == "old"


def test_it_imports_json(personas, source, tmp_path):
    data = [
        {
            "reference": "J-1",
            "narrative": "x",
            "email": ["a@example.com", "b@example.com"],
            "phone": None,
        },
        "not an object",
        {"reference": "J-2", "ip_address": "203.0.113.8", "victim_age": 12},
        {"reference": "J-3", "email": {"nested": 1}},
    ]
    p = _write(tmp_path, "t.json", json.dumps(data, indent=2))
    s = import_file(p, actor=personas.manager, source=source)
    assert s.tips_created == 2 and s.rejected_count == 2
    assert [r["line"] for r in s.rejected] == [11, 17]
    assert s.victim_sections_dropped == 1
    assert Tip.objects.get(source_reference="J-1").selectors.count() == 2
    s = import_file(
        _write(tmp_path, "bad.json", '[{"reference": "J-9",'), actor=personas.manager, source=source
    )
    assert "JSON syntax error" in s.error or "not closed" in s.error
    s = import_file(
        _write(tmp_path, "obj.json", '{"reference": "x"}'),
        actor=personas.manager,
        source=source,
        fmt="json",
    )
    assert "list of objects" in s.error


def test_it_imports_an_ip_list_with_a_shared_note(personas, source, tmp_path):
    text = "# list\n203.0.113.5\n203.0.113.6,2024-03-01T10:22:00Z\nnot-an-ip\n\n203.0.113.7,bad time\n[2001:db8::1]:443\n"
    p = _write(tmp_path, "ips.txt", text)
    s = import_file(p, actor=personas.manager, source=source, note="Seen on the forum")
    assert s.tips_created == 3 and s.rejected_count == 2
    assert [r["line"] for r in s.rejected] == [4, 6]
    assert set(Tip.objects.values_list("narrative", flat=True)) == {"Seen on the forum"}
    # Named by the batch and the line, never by the IP itself (issue 15).
    third = Tip.objects.get(selectors__value="203.0.113.6")
    assert re.fullmatch(r"ips\.[0-9a-f]{8}-3", third.source_reference), third.source_reference
    six = Selector.objects.get(value="2001:db8::1")
    assert six.port == 443
    s = import_file(p, actor=personas.manager, source=source, note="Seen on the forum")
    assert s.tips_created == 0 and s.tips_unchanged == 3
    # Another list of the same name is another batch: new tips, nothing overwritten.
    p.write_text("81.2.69.142\n")
    s = import_file(p, actor=personas.manager, source=source, note="Seen on the forum")
    assert s.tips_created == 1 and Tip.objects.count() == 4


def _xlsx(tmp_path, rows):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    p = tmp_path / "t.xlsx"
    wb.save(p)
    return p


def test_it_imports_xlsx_and_rejects_formula_rows(personas, source, tmp_path):
    import datetime as dt

    p = _xlsx(
        tmp_path,
        [
            ["Reference", "received_at", "narrative", "phone", "email"],
            ["X-1", dt.datetime(2024, 3, 1, 10, 0), "typed", 12025550143, "a@example.com"],
            ["X-2", None, '=HYPERLINK("http://evil.test")', None, None],
            [None, None, None, None, None],
            ["X-3", "2024-03-02", "fine", "+1 202 555 0143", None],
        ],
    )
    s = import_file(p, actor=personas.manager, source=source)
    assert s.tips_created == 2 and s.rejected_count == 1
    assert (
        s.rejected[0]["line"] == 3
        and "formula" in s.rejected[0]["reason"]
        and "C3" in s.rejected[0]["reason"]
    )
    t = Tip.objects.get(source_reference="X-1")
    assert t.received_at.isoformat() == "2024-03-01T10:00:00+00:00"
    assert t.selectors.filter(type="phone", value="+12025550143").exists()
    s = import_file(
        _write(tmp_path, "bad.xlsx", b"PK\x03\x04garbage"), actor=personas.manager, source=source
    )
    assert "Not an XLSX" in s.error


def test_it_imports_the_documented_cybertipline_example(personas, tmp_path):
    ncmec = Source.objects.create(name="NCMEC", kind="ncmec")
    s = import_file(EXAMPLE_XML, actor=personas.manager, source=ncmec)
    assert s.tips_created == 1 and s.rejected_count == 0 and not s.error
    t = Tip.objects.get()
    assert t.received_via == "partner_feed"
    assert t.selectors.filter(type="url", value="http://badsite.com/baduri.html").exists()
    # the reporter is the provider's contact, not a suspect
    assert not t.selectors.filter(type="email").exists()
    assert (
        "Child Pornography" in t.narrative
        and t.received_at.isoformat() == "2012-10-15T15:00:00+00:00"
    )
    s = import_file(EXAMPLE_XML, actor=personas.manager, source=ncmec)
    assert s.tips_unchanged == 1 and Tip.objects.count() == 1


CT_FULL = """<?xml version="1.0" encoding="UTF-8"?>
<reports>
<report>
  <reportId>9001</reportId>
  <incidentSummary><incidentType>Online Enticement of Children for Sexual Acts</incidentType>
    <incidentDateTime>2024-05-01T12:00:00Z</incidentDateTime></incidentSummary>
  <internetDetails><webPageIncident><url>http://forum.example.test/t/1</url></webPageIncident></internetDetails>
  <reporter><reportingPerson><email>trust@esp.example</email></reportingPerson></reporter>
  <personOrUserReported>
    <personOrUserReportedPerson><firstName>Sam</firstName><lastName>Suspect</lastName>
      <phone countryCallingCode="1">2025550143</phone><email>sam.suspect@example.com</email>
      <dateOfBirth>1985-06-07</dateOfBirth></personOrUserReportedPerson>
    <espService>Instagram</espService>
    <screenName>Sam_S</screenName>
    <ipCaptureEvent><ipAddress>198.51.100.23</ipAddress><eventName>Login</eventName>
      <dateTime>2024-04-30T08:00:00Z</dateTime><port>5555</port></ipCaptureEvent>
  </personOrUserReported>
  <victim><victimPerson><firstName>Child</firstName><email>child@example.com</email></victimPerson></victim>
  <fileDetails><originalFileHash hashType="MD5">d41d8cd98f00b204e9800998ecf8427e</originalFileHash></fileDetails>
</report>
<report><reportId>9002</reportId><personOrUserReported><screenName>other</screenName></personOrUserReported>
  <intendedRecipient><email>kid@example.com</email></intendedRecipient></report>
</reports>
"""


def test_it_maps_a_full_cybertipline_report_and_drops_the_victim(personas, tmp_path):
    ncmec = Source.objects.create(name="NCMEC", kind="ncmec")
    s = import_file(_write(tmp_path, "r.xml", CT_FULL), actor=personas.manager, source=ncmec)
    assert s.tips_created == 2 and s.victim_sections_dropped == 2
    assert any("victim" in w for w in s.warnings)
    t = Tip.objects.get(source_reference="9001")
    got = set(t.selectors.values_list("type", "value"))
    assert {
        ("url", "http://forum.example.test/t/1"),
        ("person", "sam suspect"),
        ("phone", "+12025550143"),
        ("email", "sam.suspect@example.com"),
        ("online_id", "instagram:sam_s"),
        ("ip", "198.51.100.23"),
        ("file_hash", "d41d8cd98f00b204e9800998ecf8427e"),
    } <= got
    ip = t.selectors.get(type="ip")
    assert ip.port == 5555 and ip.observed_at.isoformat() == "2024-04-30T08:00:00+00:00"
    everything = json.dumps(list(Selector.objects.values_list("raw", "value"))) + json.dumps(
        list(Tip.objects.values_list("narrative", "attributes"))
    )
    assert "child@example.com" not in everything and "kid@example.com" not in everything
    assert "trust@esp.example" not in everything


def test_it_refuses_a_billion_laughs_xml(personas, tmp_path):
    ncmec = Source.objects.create(name="NCMEC", kind="ncmec")
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        "<report><reportId>&lol3;</reportId></report>"
    )
    s = import_file(_write(tmp_path, "bomb.xml", bomb), actor=personas.manager, source=ncmec)
    assert "billion laughs" in s.error and not Tip.objects.exists()
    s = import_file(
        _write(tmp_path, "broken.xml", "<report><reportId>1</report>"),
        actor=personas.manager,
        source=ncmec,
    )
    assert "not well-formed" in s.error


def test_the_cli_prints_a_json_summary(personas, source, tmp_path):
    p = _write(tmp_path, "t.csv", GOOD + "BAD,,,x,300.1.1.1,,,,,,,,\n")
    out = io.StringIO()
    call_command(
        "import_tips",
        str(p),
        "--source",
        source.name,
        "--user",
        personas.manager.username,
        "--json",
        stdout=out,
    )
    summary = json.loads(out.getvalue())
    assert summary["tips_created"] == 2 and summary["rows_read"] == 3
    assert summary["rejected"] == [
        {"line": 4, "reason": "ip_address: '300.1.1.1' is not a valid IP address"}
    ]
    with pytest.raises(CommandError, match="unknown source"):
        call_command("import_tips", str(p), "--source", "Nope", "--user", personas.manager.username)
    with pytest.raises(CommandError, match="may not import"):
        call_command(
            "import_tips", str(p), "--source", source.name, "--user", personas.reader.username
        )


def test_it_sums_flags_reported_by_listeners(personas, source, tmp_path):
    from vigil.tips.signals import selectors_added_bulk

    batches = []

    def count(sender, *, items, actor, **kw):
        batches.append(len(items))
        return 2 * len(items)

    selectors_added_bulk.connect(count, dispatch_uid="test-count")
    try:
        s = import_file(_write(tmp_path, "t.csv", GOOD), actor=personas.manager, source=source)
    finally:
        selectors_added_bulk.disconnect(dispatch_uid="test-count")
    assert batches == [s.tips_created]  # one signal for the whole batch, not one per tip
    assert s.flags == 2 * s.tips_created


def test_it_raises_for_an_unknown_format(personas, source, tmp_path):
    with pytest.raises(ImportFileError):
        import_file(
            _write(tmp_path, "t.csv", GOOD), actor=personas.manager, source=source, fmt="pdf"
        )


def test_it_never_loses_a_tip_over_a_phone_number_that_does_not_validate(
    personas, source, tmp_path
):
    from vigil.deconfliction.models import Flag

    text = (
        "reference,received_at,narrative,phone,country\n"
        "UK-1,2024-03-01,first,07700 900022,GB\n"
        "UK-2,2024-03-02,second,+44 7700 900022,GB\n"
        "UK-3,2024-03-03,third,+44 20 7946 0958,GB\n"
    )
    s = import_file(_write(tmp_path, "uk.csv", text), actor=personas.manager, source=source)
    assert (s.tips_created, s.rejected_count) == (3, 0), s.rejected
    one = Tip.objects.get(source_reference="UK-1").selectors.get(type="phone")
    assert (one.value, one.raw, one.details) == (
        "+447700900022",
        "07700 900022",
        {"validated": False},
    )
    valid = Tip.objects.get(source_reference="UK-3").selectors.get(type="phone")
    assert "validated" not in valid.details
    assert any(w.startswith("line 2: phone '07700 900022'") for w in s.warnings), s.warnings
    assert any("line 3:" in w and "not validated" in w for w in s.warnings)
    # flagged on equal normal forms
    tips = set(
        Tip.objects.filter(source_reference__in=["UK-1", "UK-2"]).values_list("pk", flat=True)
    )
    assert Flag.objects.filter(tip_a__in=tips, tip_b__in=tips).exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "The file is empty"),
        ("blank.txt", b"\n \n", "The file is empty"),
        ("bom.csv", b"\xef\xbb\xbf", "The file is empty"),
        ("header.csv", b"reference,received_at\n", "no rows to import"),
    ],
)
def test_it_says_an_empty_file_is_empty(personas, source, tmp_path, name, content, message):
    s = import_file(_write(tmp_path, name, content), actor=personas.manager, source=source)
    assert message in s.error and s.tips_created == 0


def test_a_refused_row_is_told_without_the_values_the_database_names():
    from vigil.tips.actions.tips import _refusal

    exc = Exception(
        'duplicate key value violates unique constraint "tipnotice_unique"\n'
        "DETAIL:  Key (tip_id, type, value)=(7, email, bob@example.com) already exists."
    )
    assert _refusal(exc) == (
        "could not be saved: the database refused it "
        '(duplicate key value violates unique constraint "tipnotice_unique")'
    )
    assert _refusal(Exception("")) == "could not be saved: the database refused it"


def test_it_refuses_a_value_under_a_column_the_header_does_not_name(personas, source, tmp_path):
    # Nowhere to put it: said, not dropped. An empty cell there is nothing to lose.
    p = _write(tmp_path, "t.csv", "reference,,narrative\nR-1,secret,text\nR-2,,text\n")
    s = import_file(p, actor=personas.manager, source=source)
    assert s.tips_created == 1 and s.rejected == [
        {
            "line": 2,
            "reason": "column 2 holds a value but the header gives the column no name: "
            "name it (or empty it) and import the row again",
        }
    ]
    assert list(Tip.objects.values_list("source_reference", flat=True)) == ["R-2"]
    # A sheet: its header row is as wide as its widest row, the last name blank.
    p = _xlsx(tmp_path, [["reference", "narrative"], ["X-1", "a", "secret"], ["X-2", "b"]])
    s = import_file(p, actor=personas.manager, source=source)
    assert s.tips_created == 1 and [r["line"] for r in s.rejected] == [2]
    assert s.rejected[0]["reason"].startswith("column C holds a value")
    assert not Tip.objects.filter(source_reference="X-1").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("t.csv", b"reference,narrative,email\nR-1,a\x00b,\nR-2,ok,\nR-3,ok,z\x00@example.com\n"),
        (
            "t.json",
            b'[{"reference": "R-1", "narrative": "a\\u0000b"},\n{"reference": "R-2"},\n'
            b'{"reference": "R-3", "colour": "r\\u0000"}, {"reference": "R-4", "n": "\\\\u0000"}]',
        ),
    ],
)
def test_it_refuses_a_row_holding_a_nul_character_alike_on_every_database(
    personas, source, tmp_path, name, content
):
    # Valid UTF-8 and JSON; PostgreSQL refuses it ("invalid byte sequence"), SQLite kept it.
    from vigil.tips.importing.rows import NUL_REASON

    s = import_file(_write(tmp_path, name, content), actor=personas.manager, source=source)
    assert [r["reason"] for r in s.rejected] == [NUL_REASON, NUL_REASON]
    assert [r["line"] for r in s.rejected] == ([2, 4] if name == "t.csv" else [1, 3])
    kept = set(Tip.objects.values_list("source_reference", flat=True))
    assert kept == ({"R-2"} if name == "t.csv" else {"R-2", "R-4"})  # a backslash, no NUL
