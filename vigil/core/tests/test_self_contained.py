"""A fresh clone has everything: no code, test or script reads data from outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
# Paths that only exist on the development machines (the shared folder next to the checkout).
OUTSIDE = re.compile(r"/work/|\.\./shared|VIGIL_SHARED_DIR|[\"']shared[\"']\s*/\s*[\"']conformance")


def _sources() -> list[Path]:
    files = [REPO / "conftest.py", REPO / "Makefile", *(REPO / ".ci").glob("*")]
    for top in ("vigil", "bench"):
        files += [p for p in (REPO / top).rglob("*.py") if "data" not in p.parts]
    return [p for p in files if p.is_file() and p != Path(__file__).resolve()]


def test_it_reads_nothing_from_outside_the_repository():
    offenders = [
        f"{p.relative_to(REPO)}:{n}: {line.strip()}"
        for p in _sources()
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not offenders, "read these from the repository instead:\n" + "\n".join(offenders)


def test_it_ships_the_conformance_data_with_its_licences():
    from vigil.testing import conformance

    assert (conformance.PDQ / "expected_pdq.csv").is_file()
    assert (conformance.PDQ / "LICENSE-ThreatExchange.txt").is_file()
    assert (conformance.CYBERTIPLINE / "cybertipline_report_example_doc6.1.xml").is_file()
    for folder in (conformance.RDAP / "bootstrap", conformance.IP2ASN, conformance.VICS):
        assert list(folder.glob("LICENSE*")), folder
