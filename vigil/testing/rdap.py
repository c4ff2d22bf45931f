"""A fake RDAP registry for browser tests: a real server on 127.0.0.1 answering for one IP.

    def test_it_looks_up(rdap_registry): ...   # the fixture, in the root conftest.py

`rdap_registry` (`fake_registry` here) points the RDAP bootstrap at the server, allows its host for outbound HTTP and
answers `/rdap/ip/74.125.225.229` with the conformance set's ARIN answer (organisation handle
GOGL, abuse contact arin-contact@google.com); `srv.requests` lists what arrived.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vigil.testing.conformance import RDAP
from vigil.testing.httpserver import LiveServer, serve

IP = "74.125.225.229"
HANDLE = "GOGL"


@contextmanager
def fake_registry(settings: Any, tmp_path: Any) -> Iterator[LiveServer]:
    settings.DATA_DIR = tmp_path
    settings.MEDIA_STORE_DIR = tmp_path / "media"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    with serve() as srv:
        settings.OUTBOUND_ALLOWED_HOSTS = [srv.host]
        boot = tmp_path / "rdap-bootstrap"
        boot.mkdir()
        base = srv.url("/rdap/")
        for kind, entries in {
            "ipv4": ["0.0.0.0/0"],
            "ipv6": ["::/0"],
            "asn": ["1-4199999999"],
            "dns": ["org"],
        }.items():
            (boot / f"{kind}.json").write_text(json.dumps({"services": [[entries, [base]]]}))
        doc = json.loads((RDAP / f"rdap_ip_arin_{IP}.json").read_text())["response"]
        srv.route(f"/rdap/ip/{IP}", json=doc)
        yield srv
