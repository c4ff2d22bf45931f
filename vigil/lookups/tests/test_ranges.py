"""The offline range database: import_ranges and lookup."""

import json
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from vigil.audit.models import AuditEvent
from vigil.lookups import ranges
from vigil.lookups.models import IPRange, RangeSource

DATA = Path(__file__).resolve().parents[2] / "testing" / "data" / "conformance"
KEYS = ["ip", "asn", "country", "owner", "range_start", "range_end", "source", "as_of"]


def _write(tmp_path, text, name="r.tsv", mtime=None):
    path = tmp_path / name
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _lookup(*ips):
    out = StringIO()
    call_command("lookup", *ips, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def loaded(db):
    out = StringIO()
    call_command("import_ranges", str(DATA / "ip2asn" / "ip2asn-small.tsv"), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_loads_the_conformance_file(loaded):
    assert loaded["ranges"] == 22 and loaded["ipv4"] == 19 and loaded["ipv6"] == 3
    assert loaded["source"] == "iptoasn" and loaded["replaced"] == 0
    assert AuditEvent.objects.filter(action="lookups.ranges_import").count() == 1


def test_it_prints_exactly_the_documented_shape(loaded):
    [hit, miss] = _lookup("8.8.8.8", "9.9.9.9")
    assert list(hit) == KEYS and list(miss) == KEYS
    assert hit == {
        "ip": "8.8.8.8",
        "asn": 15169,
        "country": "US",
        "owner": "GOOGLE",
        "range_start": "8.8.8.0",
        "range_end": "8.8.8.255",
        "source": "iptoasn",
        "as_of": loaded["as_of"],
    }
    assert miss == {"ip": "9.9.9.9", **{k: None for k in KEYS[1:]}}


def test_it_answers_the_edges_of_an_ipv4_range(loaded):
    first, last, before, after = _lookup("1.1.1.0", "1.1.1.255", "1.1.0.255", "1.1.2.0")
    assert first["asn"] == last["asn"] == 13335
    assert before["source"] is None and after["source"] is None


def test_it_answers_ipv6_as_128_bit(loaded):
    inside, last, after, v4_lookalike = _lookup(
        "2804:1638:402f::1",
        "2804:1638:a8ff:ffff:ffff:ffff:ffff:ffff",
        "2804:1638:a900::",
        "::ffff:1.1.1.1",
    )
    assert inside["asn"] == 263276 and inside["country"] == "BR"
    assert inside["range_start"] == "2804:1638:402f::"
    assert last["asn"] == 263276
    assert after["source"] is None
    assert v4_lookalike["ip"] == "1.1.1.1" and v4_lookalike["asn"] == 13335


def test_it_reports_not_routed_ranges_without_an_as(loaded):
    [r] = _lookup("193.39.117.10")
    assert r["asn"] is None and r["country"] is None and r["owner"] == "Not routed"
    assert r["range_start"] == "193.39.117.0"


def test_it_accepts_zero_padded_and_defanged_input(loaded):
    a, b = _lookup("008.008.008.008", "1[.]1[.]1[.]1")
    assert a["ip"] == "8.8.8.8" and a["asn"] == 15169
    assert b["asn"] == 13335


def test_it_picks_the_smallest_of_overlapping_ranges_and_separates_adjacent_ones(db, tmp_path):
    path = _write(
        tmp_path,
        "10.0.0.0\t10.255.255.255\t100\tUS\tBIG\n"
        "10.1.0.0\t10.1.255.255\t200\tUS\tMIDDLE\n"
        "10.1.2.0\t10.1.2.255\t300\tUS\tSMALL\n"
        "10.1.3.0\t10.1.3.0\t400\tUS\tSINGLE\n"
        "10.1.3.1\t10.1.3.255\t500\tUS\tADJACENT\n"
        "2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t600\tNL\tV6BIG\n"
        "2001:db8:1::\t2001:db8:1::ff\t700\tNL\tV6SMALL\n",
    )
    call_command("import_ranges", str(path), "--source", "test", "--json", stdout=StringIO())
    got = {
        r["ip"]: r["owner"]
        for r in _lookup(
            "10.0.0.1",
            "10.1.0.1",
            "10.1.2.7",
            "10.1.3.0",
            "10.1.3.1",
            "10.1.3.255",
            "10.1.4.0",
            "10.2.0.0",
            "2001:db8:1::ff",
            "2001:db8:1::100",
            "2001:db9::",
        )
    }
    assert got == {
        "10.0.0.1": "BIG",
        "10.1.0.1": "MIDDLE",
        "10.1.2.7": "SMALL",
        "10.1.3.0": "SINGLE",
        "10.1.3.1": "ADJACENT",
        "10.1.3.255": "ADJACENT",
        "10.1.4.0": "MIDDLE",
        "10.2.0.0": "BIG",
        "2001:db8:1::ff": "V6SMALL",
        "2001:db8:1::100": "V6BIG",
        "2001:db9::": None,
    }
    [r] = _lookup("10.1.4.0")
    assert (r["range_start"], r["range_end"]) == ("10.1.0.0", "10.1.255.255")


def test_it_covers_the_whole_address_space_edges(db, tmp_path):
    path = _write(
        tmp_path,
        "0.0.0.0\t0.0.0.0\t1\tZZ\tZERO\n255.255.255.255\t255.255.255.255\t2\tZZ\tTOP\n"
        "::\t::\t3\tZZ\tV6ZERO\n"
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00\tffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\t4\tZZ\tV6TOP\n",
    )
    call_command("import_ranges", str(path), "--json", stdout=StringIO())
    owners = [
        r["owner"]
        for r in _lookup(
            "0.0.0.0", "255.255.255.255", "0.0.0.1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        )
    ]
    assert owners == ["ZERO", "TOP", None, "V6ZERO", "V6TOP"]


@pytest.mark.parametrize(
    "bad, message",
    [
        ("1.0.0.0\tnot-an-ip\t5\tUS\tX", "line 3: 'not-an-ip' is not an IP address"),
        ("1.0.0.9\t1.0.0.1\t5\tUS\tX", "line 3: the range ends (1.0.0.1) before it starts"),
        ("1.0.0.0\t::1\t5\tUS\tX", "line 3: the range mixes IPv4 and IPv6"),
        ("1.0.0.0\t1.0.0.1\tfive\tUS\tX", "line 3: 'FIVE' is not an AS number"),
        ("1.0.0.0 1.0.0.1 5 US X", "line 3: expected 5 tab-separated columns"),
    ],
)
def test_it_reports_a_malformed_line_by_number_and_keeps_the_previous_load(
    loaded, tmp_path, bad, message
):
    path = _write(tmp_path, f"2.0.0.0\t2.0.0.255\t7\tUS\tOK\n\n{bad}\n")
    with pytest.raises(CommandError, match="nothing was changed") as exc:
        call_command("import_ranges", str(path), "--json", stdout=StringIO())
    assert message in str(exc.value)
    assert IPRange.objects.count() == 22
    assert _lookup("8.8.8.8")[0]["asn"] == 15169


def test_it_replaces_a_source_atomically_and_keeps_its_date(loaded, tmp_path):
    path = _write(
        tmp_path, "8.8.8.0\t8.8.8.255\t99\tUS\tNEWGOOGLE\n", mtime=1764547200
    )  # 2025-12-01
    before = _lookup("8.8.8.8")[0]
    assert before["owner"] == "GOOGLE"  # builds the in-memory index
    out = StringIO()
    call_command("import_ranges", str(path), "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["replaced"] == 22 and summary["ranges"] == 1
    assert summary["as_of"] == "2025-12-01"
    after, gone = _lookup("8.8.8.8", "1.1.1.1")
    assert after["owner"] == "NEWGOOGLE" and after["as_of"] == "2025-12-01"
    assert gone["source"] is None
    assert RangeSource.objects.get(name="iptoasn").row_count == 1


def test_it_keeps_other_sources_when_one_is_replaced(loaded, tmp_path):
    path = _write(tmp_path, "9.9.9.0\t9.9.9.255\t19281\tUS\tQUAD9\n")
    call_command("import_ranges", str(path), "--source", "local", "--json", stdout=StringIO())
    a, b = _lookup("8.8.8.8", "9.9.9.9")
    assert (a["source"], b["source"]) == ("iptoasn", "local")


def test_it_reads_a_gzipped_file_and_a_list_file(db, tmp_path):
    import gzip

    gz = tmp_path / "ip2asn-combined.tsv.gz"
    gz.write_bytes(gzip.compress((DATA / "ip2asn" / "ip2asn-small.tsv").read_bytes()))
    call_command("import_ranges", str(gz), "--json", stdout=StringIO())
    ips = _write(tmp_path, "# a comment\n8.8.8.8\n\n1.1.1.1\n", name="ips.txt")
    out = StringIO()
    call_command("lookup", "--file", str(ips), "--json", stdout=out)
    assert [r["asn"] for r in json.loads(out.getvalue())] == [15169, 13335]


def test_it_refuses_an_invalid_ip_by_position(loaded):
    with pytest.raises(CommandError, match=r"#2 'nonsense'"):
        _lookup("8.8.8.8", "nonsense")


def test_it_refuses_a_missing_or_empty_file(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_ranges", str(tmp_path / "nope.tsv"))
    with pytest.raises(CommandError, match="no ranges"):
        call_command("import_ranges", str(_write(tmp_path, "\n")))


def test_it_answers_every_ip_with_nothing_loaded(db):
    assert ranges.lookup("192.0.2.1")["source"] is None
