import os
import subprocess
import sys


def _start(env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "DATABASE_URL"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "vigil.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_stops_on_a_malformed_database_url(tmp_path):
    result = _start(
        {"VIGIL_DEBUG": "1", "VIGIL_DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql//nope"}
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_it_stops_without_a_secret_in_production(tmp_path):
    result = _start({"VIGIL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "VIGIL_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_it_starts_in_production_with_secrets(tmp_path):
    key = tmp_path / "key"
    key.write_text("x" * 50)
    result = _start(
        {
            "VIGIL_DATA_DIR": str(tmp_path),
            "VIGIL_SECRET_KEY_FILE": str(key),
            "VIGIL_FIELD_KEY": "y" * 44,
            "VIGIL_ALLOWED_HOSTS": "vigil.example",
        }
    )
    assert result.returncode == 0, result.stderr
