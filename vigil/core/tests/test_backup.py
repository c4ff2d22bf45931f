"""deploy/backup.sh and deploy/restore.sh on PostgreSQL: back up, lose the database and the data
folder, restore, then `vigil verify_audit` and a media decrypt (`vigil check_media`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from vigil.testing import postgres

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[3]

SEED = """
from vigil.accounts.models import Role, User
from vigil.victimid import actions
from vigil.victimid.tests.conftest import pattern
manager = User.objects.create_user("boss", password="x" * 16, role=Role.MANAGER)
series = actions.do_create_series(actor=manager, data={"name": "Backup", "victim_identified": False,
    "contact_agency": "Demo (fictitious)"})
for i in range(3):
    actions.do_add_media(series, actor=manager, data=pattern(i), filename=f"p{i}.jpg")
"""


def test_it_restores_a_backup_that_verifies_and_decrypts(tmp_path):
    postgres.require()
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        # A machine without the PostgreSQL client tools (the fresh-machine check) cannot back up.
        pytest.skip("pg_dump/pg_restore not installed (postgresql-client)")
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "field_key").write_text("backup test master key")
    with postgres.database("backup") as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST"))}
        env.update(
            DATABASE_URL=url,
            VIGIL_DEBUG="1",
            VIGIL_DATA_DIR=str(tmp_path / "data"),
            VIGIL_FIELD_KEY_FILE=str(keys / "field_key"),
            VIGIL_BIN=str(BIN / "vigil"),
            VIGIL_BACKUP_AS_ROOT="1",
            PATH=f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        )

        def vigil(*args):
            return subprocess.run(
                [str(BIN / "vigil"), *args], env=env, cwd=REPO, capture_output=True, text=True
            )

        assert vigil("shell", "-c", SEED).returncode == 0
        backup = (
            subprocess.run(
                [str(REPO / "deploy" / "backup.sh"), str(tmp_path / "backups")],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        assert sorted(p.name for p in Path(backup).iterdir()) == [
            "SHA256SUMS",
            "audit-head.json",
            "data.tar",
            "vigil.dump",
        ]

        # Disaster: the database is emptied and the data folder is gone.
        server, name = url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        shutil.rmtree(tmp_path / "data")
        assert vigil("check_media").returncode != 0

        restored = subprocess.run(
            [str(REPO / "deploy" / "restore.sh"), backup], env=env, capture_output=True, text=True
        )
        assert restored.returncode == 0, restored.stdout + restored.stderr
        audit = vigil("verify_audit")
        assert audit.returncode == 0 and "intact" in audit.stdout, audit.stdout + audit.stderr
        media = vigil("check_media")
        assert media.returncode == 0, media.stderr
        assert "3 media file(s) decrypted, SHA-256 verified" in media.stdout

        # A damaged backup is refused before anything is touched.
        with open(Path(backup) / "data.tar", "ab") as fh:
            fh.write(b"x")
        refused = subprocess.run(
            [str(REPO / "deploy" / "restore.sh"), backup], env=env, capture_output=True, text=True
        )
        assert refused.returncode != 0 and "SHA256SUMS" in refused.stderr
