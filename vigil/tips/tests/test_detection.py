"""Which reader a file gets (`--format auto`, the web form's default)."""

import pytest

from vigil.tips.importing.detection import detect_format


@pytest.mark.parametrize(
    ("name", "head", "fmt"),
    [
        ("tips.csv", b"reference,narrative\nR-1,a\n", "csv"),
        ("tips.csv", b"\xef\xbb\xbfreference,narrative\n", "csv"),
        ("tips.csv", b"\n\nreference,narrative\n", "csv"),  # blank lines before the header
        ("upload", b"reference,narrative\n", "csv"),
        ("ips.csv", b"203.0.113.5,2024-03-01T10:22:00Z\n", "iplist"),  # a list saved as CSV
        ("upload", b"203.0.113.5\n198.51.100.7\n", "iplist"),
        ("seized.txt", b"203.0.113.5\n", "iplist"),
        # "[" starts a JSON list and a bracketed IPv6 address with its port alike
        ("seized.txt", b"[2001:db8::1]:443\n203.0.113.5\n", "iplist"),
        ("upload", b"[2001:db8::1]:443,2024-03-01T10:22:00Z\n", "iplist"),
        ("upload", b'[{"reference": "R-1"}]', "json"),
        ("upload", b'\n  [\n {"reference": "R-1"}\n]', "json"),
        ("tips.txt", b'[{"reference": "R-1"}]', "json"),
        ("tips.json", b"", "json"),
        ("report.xml", b"", "cybertipline"),
        ("upload", b"<?xml version='1.0'?><report/>", "cybertipline"),
        ("book.xlsx", b"", "xlsx"),
        ("upload.txt", b"PK\x03\x04rest", "xlsx"),
    ],
)
def test_it_picks_the_reader_by_name_else_by_the_first_bytes(name, head, fmt):
    assert detect_format(name, head) == fmt
