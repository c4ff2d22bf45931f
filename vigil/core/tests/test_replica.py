"""DATABASE_REPLICA_URL and the router: search reads case data from the replica alias, the audit
trail, accounts and every write use the primary. Two aliases on one PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vigil.core.replica import ReplicaRouter
from vigil.testing import postgres
from vigil.tips.models import Tip


def test_it_reads_search_results_from_the_replica(tmp_path):
    postgres.require()
    with postgres.database("replica") as url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST"))},
            "DATABASE_URL": url,
            "DATABASE_REPLICA_URL": url,
            "VIGIL_DEBUG": "1",
            "VIGIL_REQUIRE_MFA": "0",
            "VIGIL_DATA_DIR": str(tmp_path),
        }
        script = Path(__file__).with_name("replica_check.py")
        result = subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith("replica ok")


def test_it_routes_nothing_without_a_replica(settings):
    assert "replica" not in settings.DATABASES
    router = ReplicaRouter()
    assert router.db_for_read(Tip) is None
    assert router.db_for_write(Tip) == "default"
    assert router.allow_migrate("replica", "tips") is False
