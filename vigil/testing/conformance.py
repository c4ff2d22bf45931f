"""Where the conformance data the tests read lives: inside the repository, never outside it.

`vigil/testing/data/conformance/README.md` lists the sets and their licences. No Django import
here: the library tests run with ``-p no:django``.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent / "data" / "conformance"
PDQ = ROOT / "pdq"
CYBERTIPLINE = ROOT / "cybertipline"
RDAP = ROOT / "rdap"
IP2ASN = ROOT / "ip2asn"
VICS = ROOT / "vics"
