"""The systemd units of deploy/systemd as shipped: `systemd-analyze verify` finds nothing to say
about them (with /opt/vigil/app pointed at this checkout, the only change an install makes), and
every command they start exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
UNITS = sorted((REPO / "deploy" / "systemd").glob("vigil-*"))


def _installed(folder: Path) -> list[Path]:
    out = []
    for unit in UNITS:
        text = unit.read_text()
        text = text.replace("/opt/vigil/app/.venv/bin", str(BIN)).replace(
            "/opt/vigil/app", str(REPO)
        )
        (folder / unit.name).write_text(text)
        out.append(folder / unit.name)
    return out


def test_it_ships_a_unit_for_each_process_in_operations_md():
    names = {u.name for u in UNITS}
    assert {"vigil-web.service", "vigil-worker@.service"} <= names
    for timer in (u for u in UNITS if u.suffix == ".timer"):
        assert timer.with_suffix(".service").name in names, timer.name
    guide = (REPO / "docs" / "operations.md").read_text()
    for unit in UNITS:
        assert unit.name in guide, f"docs/operations.md does not install {unit.name}"


def test_systemd_analyze_verify_is_silent_about_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (Debian package systemd)")
        pytest.skip("systemd-analyze is not installed")
    units = _installed(tmp_path)
    result = subprocess.run(
        [analyze, "verify", *map(str, units)], capture_output=True, text=True, cwd=tmp_path
    )
    # verify exits 0 even on a line it ignores ("Failed to parse …, ignoring"): it must say nothing.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


def test_every_command_the_units_start_is_in_the_repository_or_the_venv():
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            found = re.match(r"Exec(Start|Reload)=(\S+)", line)
            if not found:
                continue
            command = found.group(2)
            local = command.replace("/opt/vigil/app/.venv/bin", str(BIN)).replace(
                "/opt/vigil/app", str(REPO)
            )
            assert os.access(local, os.X_OK), f"{unit.name}: {command} is not there"
