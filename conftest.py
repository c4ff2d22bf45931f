"""Project-wide pytest fixtures: personas and a guard against any network access."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

# The suite's processes (this one, xdist workers, instances, task workers, `vigil` commands)
# start as an installed Vigil does: from compiled bytecode. Under PYTHONDONTWRITEBYTECODE (set by
# some shells and containers) each compiled every module it imports again: ~1 s of CPU a start,
# 3 s more for phonenumbers' locale data; the two-instance exchange tests start ~60 processes.
# The bytecode goes to a cache of its own (PYTHONPYCACHEPREFIX), not next to the sources.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
    sys.pycache_prefix = os.environ.setdefault(
        "PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / f"vigil-pycache-{os.getuid()}")
    )
    sys.dont_write_bytecode = False

_real_connect = socket.socket.connect


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise RuntimeError(
                f"Tests must not touch the network (tried to connect to {address!r})."
            )
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _audit_head_per_test(settings, tmp_path):
    # Each test has its own database, so its own audit chain head (vigil/audit/head.py).
    settings.AUDIT_HEAD_FILE = tmp_path / "audit-head.json"


@pytest.fixture
def personas(db):
    from vigil.testing import personas as p

    return p.build()


@pytest.fixture
def rdap_registry(settings, tmp_path):
    """A fake RDAP registry on 127.0.0.1 that RDAP look-ups use (vigil/testing/rdap.py)."""
    from vigil.testing.rdap import fake_registry

    with fake_registry(settings, tmp_path) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


# Property tests check behaviour, not speed: Hypothesis's per-example deadline (200 ms) fails
# on a loaded machine. Speed is measured by the scripts in bench/.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("vigil", deadline=None)
_hypothesis_settings.load_profile("vigil")
