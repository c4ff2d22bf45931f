"""VICS import and export: the quirks of real files, provenance, refusals, round trips."""

from __future__ import annotations

import hashlib
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from vigil.audit.models import AuditEvent
from vigil.exchange import actions, mapping
from vigil.exchange.models import Conflict, Provenance, Record, Transfer
from vigil.exchange.vics import VicsFormatError
from vigil.testing import conformance
from vigil.victimid.models import Media, Series

from .conftest import DATA, grant_share, make_partner

QUIRKS = DATA / "quirks-1.3.json"
CASE = DATA / "case-2.0.json"


def _import(path, partner, actor=None):
    with open(path, "rb") as fh:
        return actions.do_import_vics(fh, actor=actor, partner=partner, filename=path.name)


def _md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def _doc(media, version="2.0"):
    key = "@odata.context" if version == "2.0" else "odata.metadata"
    return json.dumps({key: mapping.CONTEXT[version], "value": media}).encode()


def test_it_names_only_fields_of_the_project_vic_media_entity():
    ns = {"e": "http://docs.oasis-open.org/odata/ns/edm"}
    root = ET.parse(conformance.VICS / "ProjectVicDataModel.2.0.xml").getroot()
    media = root.find(".//e:EntityType[@Name='Media']", ns)
    names = {p.get("Name") for p in media.findall("e:Property", ns)}
    names |= {p.get("Name") for p in media.findall("e:NavigationProperty", ns)}
    exported = mapping.to_vics({**mapping.DEFAULTS, "md5": "a" * 32})
    assert set(exported) <= names
    case = root.find(".//e:EntityType[@Name='Case']", ns)
    case_names = {p.get("Name") for p in case.findall("e:Property", ns)}
    assert set(mapping.CASE_FIELDS) <= case_names
    types = {p.get("Name"): p.get("Type") for p in media.findall("e:Property", ns)}
    assert types["Category"] == "Edm.Byte" and types["MediaSize"] == "Edm.Int64"


def test_it_imports_a_real_looking_file_with_its_quirks(partner):
    summary = _import(QUIRKS, partner)
    assert summary == {
        "records_read": 6,
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "rejected": [],
    }
    rec = Record.objects.get(md5=_md5("vigil-test-record-0"))
    media = rec.media
    assert (
        media.md5 == media.md5.lower()
        and media.sha1 == media.sha1.lower()
        and len(media.sha1) == 40
    )
    assert media.size == 1000 and media.kind == "unknown" and not media.has_file
    assert media.pdq == hashlib.sha256(b"pdqvigil-test-record-0").hexdigest()
    assert rec.is_precategorized is True and rec.offender_identified is False and rec.is_distributed
    assert rec.photodna == "AAAA0BBBB" and rec.tags == "demo;test"
    assert rec.exifs == [
        {"PropertyName": "Make", "PropertyValue": "DemoCam", "PropertyGroup": "IFD0"}
    ]
    assert rec.media_files[0] == {
        "MD5": _md5("vigil-test-record-0"),
        "MediaFileID": 1,
        "FileName": "file0.jpg",
        "FilePath": "C:\\evidence\\demo\\file0.jpg",
        "Unallocated": "false",
    }
    odd = Record.objects.get(md5=_md5("vigil-test-record-3"))
    assert odd.category == 42 and mapping.category_label(odd.category) == "unknown category 42"
    assert Record.objects.get(md5=_md5("vigil-test-record-1")).category == 2
    a = Series.objects.get(name="DEMO Partner series A")
    assert a.victim_identified and a.media.count() == 3
    assert Series.objects.get(name="DEMO Partner series B").media.count() == 2
    assert Media.objects.get(md5=_md5("vigil-test-record-5")).series is None
    prov = Provenance.objects.get(media=media)
    assert prov.partner == partner and prov.partner_media_id == "0"
    assert prov.partner_series == "DEMO Partner series A"
    assert prov.transfer.filename == "quirks-1.3.json" and prov.transfer.version == "1.3"
    assert prov.first_received_at is not None
    audit = AuditEvent.objects.filter(action="exchange.receive").get()
    assert audit.changes["direction"] == "in" and audit.changes["partner"] == "NCMEC"
    assert sorted(audit.changes["records"]) == sorted(Media.objects.values_list("id", flat=True))


def test_it_changes_nothing_when_the_same_file_comes_again(partner):
    _import(QUIRKS, partner)
    before = list(Media.objects.order_by("id").values_list("id", "updated_at", "series_id"))
    records = list(Record.objects.order_by("id").values())
    summary = _import(QUIRKS, partner)
    assert summary == {
        "records_read": 6,
        "created": 0,
        "updated": 0,
        "unchanged": 6,
        "rejected": [],
    }
    assert list(Media.objects.order_by("id").values_list("id", "updated_at", "series_id")) == before
    assert list(Record.objects.order_by("id").values()) == records
    assert Series.objects.count() == 2 and Conflict.objects.count() == 0


def test_it_updates_what_the_same_partner_changed(partner):
    md5 = _md5("u")
    _import_bytes = lambda doc: actions.do_import_vics(  # noqa: E731
        io.BytesIO(doc), actor=None, partner=partner, filename="u.json"
    )
    _import_bytes(_doc([{"MD5": md5, "Category": 1, "IsPrecategorized": False}]))
    summary = _import_bytes(_doc([{"MD5": md5, "Category": 2, "IsPrecategorized": False}]))
    assert summary["updated"] == 1 and Record.objects.get(md5=md5).category == 2


def test_it_refuses_victim_names_at_any_depth_and_keeps_the_rest(partner):
    summary = _import(CASE, partner)
    assert summary["records_read"] == 4 and summary["created"] == 1
    reasons = {r["index"]: r["reason"] for r in summary["rejected"]}
    assert set(reasons) == {1, 2, 3}
    assert "$.Media[1].Exifs[0](PropertyName=VictimName)" in reasons[1]
    assert "$.Media[2].MediaFiles[0].Notes.victim_first_name" in reasons[2]
    assert "MD5 must be 32 hexadecimal characters" in reasons[3]
    assert not Media.objects.filter(md5__in=[_md5("case-b"), _md5("case-c")]).exists()
    transfer = Transfer.objects.get(direction="in")
    assert transfer.case == {
        "CaseID": "6f1c9a3e-1d2b-4c5d-9e8f-0a1b2c3d4e5f",
        "CaseNumber": "DEMO-2024-0001",
        "ContactEmail": "det.demo@example.invalid",
        "SourceApplicationName": "DemoTool",
        "TotalMediaFiles": 4,
    }
    assert transfer.version == "2.0"


def test_it_drops_a_case_that_names_a_victim(partner):
    doc = json.dumps(
        {
            "@odata.context": mapping.CONTEXT["2.0"],
            "value": [{"MD5": _md5("x"), "IsPrecategorized": False}],
            "CaseNumber": "C-9",
            "Victim": {"FullName": "n/a", "victimName": "n/a"},
        }
    ).encode()
    summary = actions.do_import_vics(
        io.BytesIO(doc), actor=None, partner=partner, filename="c.json"
    )
    assert summary["created"] == 1
    assert summary["rejected"][0]["index"] is None
    assert "$.Victim.victimName" in summary["rejected"][0]["reason"]
    assert Transfer.objects.get(direction="in").case == {}


def test_it_reads_the_cases_shape_and_records_after_the_case_fields(partner):
    doc = json.dumps(
        {
            "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml#Cases",
            "value": [
                {"Media": [{"MD5": _md5("p"), "IsPrecategorized": "False"}], "CaseNumber": "K-1"},
                {"CaseNumber": "K-2", "Media": [{"MD5": _md5("q"), "IsPrecategorized": 0}]},
            ],
        }
    ).encode()
    summary = actions.do_import_vics(
        io.BytesIO(doc), actor=None, partner=partner, filename="k.json"
    )
    assert summary["created"] == 2
    assert Transfer.objects.get(direction="in").version == "1.2"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"[]", "one JSON object"),
        (b'{"value": [{"MD5": "' + b"a" * 32 + b'"}, ', "Invalid JSON"),
        (b'{"value": 3}', "No Media array"),
        (b'\xff\xfe{"value": []}', "not UTF-8"),
        (b'{"odata.metadata": "x#Media", "value": []} trailing', "after the end"),
    ],
)
def test_it_refuses_a_broken_file_and_imports_nothing(partner, content, message):
    with pytest.raises(VicsFormatError, match=message):
        actions.do_import_vics(io.BytesIO(content), actor=None, partner=partner, filename="b.json")
    assert not Media.objects.exists() and not Transfer.objects.exists()


def test_it_rejects_bad_values_one_by_one(partner):
    media = [
        {"MD5": _md5("ok"), "IsPrecategorized": False},
        {"MD5": _md5("cat"), "Category": 300},
        {"MD5": _md5("size"), "MediaSize": "big"},
        {"MD5": _md5("flag"), "VictimIdentified": "maybe"},
        {"MD5": _md5("pdq"), "AlternativeHashes": [{"HashName": "PDQ", "HashValue": "zz"}]},
        {"SHA1": "a" * 40},
        "not an object",
    ]
    summary = actions.do_import_vics(
        io.BytesIO(_doc(media)), actor=None, partner=partner, filename="v"
    )
    assert summary["created"] == 1
    assert [r["index"] for r in summary["rejected"]] == [1, 2, 3, 4, 5, 6]
    assert "Category must be between 0 and 255" in summary["rejected"][0]["reason"]
    assert "MD5 is missing" in summary["rejected"][4]["reason"]


def test_it_rejects_a_record_holding_a_nul_character_and_keeps_the_rest(partner):
    # Valid JSON that no text or jsonb column can hold: PostgreSQL refused the whole file.
    media = [
        {"MD5": _md5("ok"), "Comments": "fine"},
        {"MD5": _md5("nul"), "MediaFiles": [{"FileName": "a\u0000.jpg"}]},
        {"MD5": _md5("key"), "Exifs": [{"Na\u0000me": "x"}]},
    ]
    doc = _doc(media)  # json.dumps writes each NUL as the escape \\u0000
    assert b"\\u0000" in doc
    summary = actions.do_import_vics(io.BytesIO(doc), actor=None, partner=partner, filename="v")
    assert summary["created"] == 1 and [r["index"] for r in summary["rejected"]] == [1, 2]
    assert summary["rejected"][0]["reason"] == (
        "MediaFiles[0].FileName holds a NUL character (\\u0000), which cannot be stored."
    )
    assert summary["rejected"][1]["reason"].startswith("Exifs[0].Na\\u0000me holds a NUL")
    assert Media.objects.count() == 1


def test_it_takes_records_only_from_an_approved_partner(db):
    for status in ("proposed", "suspended"):
        p = make_partner(f"P-{status}", status=status)
        with pytest.raises(ValidationError, match=status):
            _import(QUIRKS, p)
    assert not Media.objects.exists()


def test_it_prints_the_json_summary_exactly(partner, capsys):
    call_command("import_vics", str(QUIRKS), str(CASE), "--partner", "NCMEC", "--json")
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["records_read", "created", "updated", "unchanged", "rejected"]
    assert out["records_read"] == 10 and out["created"] == 7
    assert [list(r) for r in out["rejected"]] == [["index", "reason"]] * 3
    assert [r["index"] for r in out["rejected"]] == [7, 8, 9]


def test_it_says_which_partner_is_unknown(db):
    with pytest.raises(CommandError, match="No partner named 'NOPE'"):
        call_command("import_vics", str(QUIRKS), "--partner", "NOPE")


def _canonical_set():
    out = set()
    for media in Media.objects.select_related("series", "exchange_record"):
        rec = media.exchange_record
        out.add(
            (
                media.md5,
                media.sha1,
                media.pdq,
                media.size,
                rec.category,
                media.series.name if media.series else None,
                rec.is_precategorized,
                rec.photodna,
                json.dumps(rec.media_files, sort_keys=True),
            )
        )
    return out


@pytest.mark.parametrize("version", ["1.3", "2.0"])
def test_it_round_trips_export_then_import(partner, sharer, tmp_path, version):
    _import(QUIRKS, partner)
    _import(CASE, partner)
    original = _canonical_set()
    out = tmp_path / "export.json"
    call_command("export_vics", "--user", sharer, "--out", str(out), "--version", version)
    text = out.read_text()
    head = "odata.metadata" if version == "1.3" else "@odata.context"
    assert json.loads(text)[head].endswith("$metadata#Media" if version == "2.0" else "#Media")
    # A fresh repository receives the file from another partner.
    Conflict.objects.all().delete()
    Provenance.objects.all().delete()
    Record.objects.all().delete()
    Media.objects.all().delete()
    Series.objects.all().delete()
    other = make_partner("INTERPOL")
    summary = _import(out, other)
    assert summary["created"] == len(original) and summary["rejected"] == []
    assert _canonical_set() == original
    again = tmp_path / "again.json"
    call_command("export_vics", "--user", sharer, "--out", str(again), "--version", version)

    def strip(doc):
        return [{k: v for k, v in m.items() if k != "MediaID"} for m in json.loads(doc)["value"]]  # noqa: E731

    assert strip(again.read_text()) == strip(text)


def test_it_sends_a_hash_only_partner_no_series(partner, sharer, tmp_path):
    _import(QUIRKS, partner)
    hashes_only = make_partner("HASHONLY", may_receive=1)
    out = tmp_path / "h.json"
    call_command("export_vics", "--user", sharer, "--out", str(out), "--partner", "HASHONLY")
    value = json.loads(out.read_text())["value"]
    assert len(value) == 6
    assert all(m["Series"] is None and m["VictimIdentified"] is None for m in value)
    sent = AuditEvent.objects.filter(action="exchange.send").get()
    assert sent.changes["direction"] == "out" and sent.changes["partner"] == "HASHONLY"
    assert len(sent.changes["records"]) == 6
    assert hashes_only.transfers.get().direction == "out"


def test_it_never_sends_a_partner_its_own_records_back(partner, sharer, tmp_path):
    _import(QUIRKS, partner)
    out = tmp_path / "back.json"
    call_command("export_vics", "--user", sharer, "--out", str(out), "--partner", "NCMEC")
    assert json.loads(out.read_text())["value"] == []


def test_it_sends_nothing_to_a_partner_not_approved(partner, sharer, tmp_path):
    _import(QUIRKS, partner)
    for status in ("proposed", "suspended"):
        make_partner(f"X-{status}", status=status)
        with pytest.raises(CommandError, match=status):
            call_command(
                "export_vics",
                "--user",
                sharer,
                "--out",
                str(tmp_path / "x.json"),
                "--partner",
                f"X-{status}",
            )
    assert not (tmp_path / "x.json").exists()
    assert not AuditEvent.objects.filter(action="exchange.send").exists()


def test_it_filters_by_date(partner, sharer, tmp_path):
    _import(QUIRKS, partner)
    out = tmp_path / "s.json"
    call_command("export_vics", "--user", sharer, "--out", str(out), "--since", "2999-01-01")
    assert json.loads(out.read_text())["value"] == []
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_vics", "--user", sharer, "--out", str(out), "--since", "yesterday")


def test_it_lets_only_a_user_with_the_share_grant_export(personas, partner):
    for user in (personas.reader, personas.investigator, personas.manager, personas.admin):
        with pytest.raises(PermissionDenied):
            actions.do_export_vics(io.StringIO(), actor=user, partner=partner)
    grant_share(personas.investigator)
    buf = io.StringIO()
    actions.do_export_vics(buf, actor=personas.investigator, partner=partner)
    assert json.loads(buf.getvalue())["value"] == []


def test_it_keeps_both_opinions_when_partners_disagree(partner, personas):
    _import(QUIRKS, partner)
    other = make_partner("INTERPOL")
    md5 = _md5("vigil-test-record-0")
    doc = _doc(
        [
            {"MD5": md5, "Series": "Another series", "IsPrecategorized": True},
            {
                "MD5": _md5("vigil-test-record-1"),
                "Series": "DEMO Partner series A",
                "VictimIdentified": "false",
            },
        ]
    )
    actions.do_import_vics(io.BytesIO(doc), actor=None, partner=other, filename="o.json")
    media = Media.objects.get(md5=md5)
    assert media.series.name == "DEMO Partner series A"
    assert Series.objects.get(name="DEMO Partner series A").victim_identified is True
    kinds = sorted(Conflict.objects.values_list("kind", flat=True))
    assert kinds == ["identified", "media_series"]
    assert Provenance.objects.get(media=media, partner=other).partner_series == "Another series"
    assert (
        Provenance.objects.get(media=media, partner=partner).partner_series
        == "DEMO Partner series A"
    )
    conflict = Conflict.objects.get(kind="media_series")
    with pytest.raises(PermissionDenied):
        actions.do_decide_conflict(conflict, actor=personas.investigator, decision="theirs")
    actions.do_decide_conflict(
        conflict, actor=personas.manager, decision="theirs", reason="checked"
    )
    media.refresh_from_db()
    assert media.series.name == "Another series"
    assert AuditEvent.objects.filter(action="media.move", object_id=str(media.pk)).exists()
    ident = Conflict.objects.get(kind="identified")
    actions.do_decide_conflict(ident, actor=personas.manager, decision="ours")
    assert Series.objects.get(name="DEMO Partner series A").victim_identified is True
    with pytest.raises(ValidationError, match="decided already"):
        actions.do_decide_conflict(ident, actor=personas.manager, decision="theirs")


def test_it_flags_a_new_record_that_disagrees_with_an_existing_series(partner):
    _import(QUIRKS, partner)
    other = make_partner("INTERPOL")
    doc = _doc([{"MD5": _md5("new"), "Series": "DEMO Partner series A", "VictimIdentified": False}])
    summary = actions.do_import_vics(io.BytesIO(doc), actor=None, partner=other, filename="n.json")
    assert summary["created"] == 1
    conflict = Conflict.objects.get()
    assert conflict.kind == "identified" and conflict.theirs["victim_identified"] is False
    assert Series.objects.get(name="DEMO Partner series A").victim_identified is True


def test_it_names_who_exports_from_the_command_line(partner, tmp_path):
    with pytest.raises(CommandError, match="--user NAME"):
        call_command("export_vics", "--out", str(tmp_path / "x.json"))
    assert not (tmp_path / "x.json").exists()


def test_it_accounts_for_what_it_sends(partner, sharer, tmp_path):
    from vigil.referrals.models import Disclosure

    _import(QUIRKS, partner)
    make_partner("INTERPOL")
    call_command(
        "export_vics", "--user", sharer, "--out", str(tmp_path / "i.json"), "--partner", "INTERPOL"
    )
    disclosure = Disclosure.objects.get()
    assert disclosure.recipient == "INTERPOL (test)" and disclosure.method == "vics"
    assert disclosure.record_count == 6  # runs of consecutive ids: test_disclosures.py
