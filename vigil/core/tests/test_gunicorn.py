"""The shipped production set-up: gunicorn with deploy/gunicorn.conf.py on 127.0.0.1, against
PostgreSQL, production settings (no debug, secrets from files, MFA on), signed in through it the
way nginx forwards requests (X-Forwarded-Proto/-For). Also: `vigil check --deploy` is clean."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from vigil.testing import postgres

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def production(tmp_path):
    postgres.require()
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    for name in ("secret_key", "field_key"):
        (secrets / name).write_text(os.urandom(32).hex())
        (secrets / name).chmod(0o600)
    with postgres.database("gunicorn") as url:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "DATABASE_URL": url,
            "VIGIL_DATA_DIR": str(tmp_path / "data"),
            "VIGIL_SECRET_KEY_FILE": str(secrets / "secret_key"),
            "VIGIL_FIELD_KEY_FILE": str(secrets / "field_key"),
            "VIGIL_ALLOWED_HOSTS": "vigil.example.org,127.0.0.1",
            "VIGIL_TRUST_X_FORWARDED_FOR": "1",
            "VIGIL_WEB_WORKERS": "2",
            "VIGIL_BIND": "127.0.0.1:0",
        }
        vigil = [str(BIN / "vigil")]
        subprocess.run(
            [*vigil, "create_admin", "alice", "--password-stdin"],
            env=env,
            input=PASSWORD,
            text=True,
            check=True,
            capture_output=True,
        )
        yield env


def _start(env) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(REPO / "deploy" / "gunicorn.conf.py"),
            "vigil.wsgi:application",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
        if found:
            return proc, int(found.group(1))
        if proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"gunicorn did not start: {proc.stderr.read()}")


class Browser:
    """Requests as nginx forwards them: TLS ended in front, X-Forwarded-* set."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Host": "vigil.example.org",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.9",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = "https://vigil.example.org"
            headers["Referer"] = f"https://vigil.example.org{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
                assert "Secure" in value, value
        conn.close()
        return response, text


def test_it_serves_and_signs_in_through_gunicorn_on_postgresql(production):
    proc, port = _start(production)
    try:
        browser = Browser(port)
        response, body = browser.request("GET", "/healthz")
        assert response.status == 200 and '"ok"' in body
        response, body = browser.request("GET", "/readyz")
        assert response.status == 200, body
        assert "django_tasks_db.DatabaseBackend" in body

        response, body = browser.request("GET", "/accounts/login/")
        assert response.status == 200
        assert response.getheader("Strict-Transport-Security", "").startswith("max-age=")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        response, body = browser.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": "alice", "password": PASSWORD},
        )
        # Password accepted; production requires MFA, so the next stop is setting it up.
        assert response.status == 302, body[:500]
        assert "/accounts/mfa/" in response.getheader("Location")
        response, body = browser.request("GET", response.getheader("Location"))
        assert response.status == 200 and "sessionid" in browser.cookies
        # Plain http straight to gunicorn (no proxy header) is sent to https.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/accounts/login/", headers={"Host": "vigil.example.org"})
        plain = conn.getresponse()
        assert plain.status == 301 and plain.getheader("Location").startswith("https://")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)
    # The audit trail recorded the client's address from X-Forwarded-For.
    out = subprocess.run(
        [
            str(BIN / "vigil"),
            "shell",
            "-c",
            "from vigil.audit.models import AuditEvent; "
            "print(AuditEvent.objects.filter(action='login').values_list('source_ip', flat=True).last())",
        ],
        env=production,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "203.0.113.9"


def test_it_passes_the_deployment_checks(production):
    result = subprocess.run(
        [str(BIN / "vigil"), "check", "--deploy", "--fail-level", "WARNING"],
        env=production,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
