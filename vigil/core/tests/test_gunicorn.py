"""The shipped production set-up: gunicorn with deploy/gunicorn.conf.py on 127.0.0.1, against
PostgreSQL, production settings (no debug, secrets from files, MFA on), signed in through it the
way nginx forwards requests (X-Forwarded-Proto/-For), and then through nginx itself with the
shipped deploy/nginx config (`nginx -t`, TLS, the HTTP redirect, /static/, X-Forwarded-For
replaced). Also: `vigil check --deploy` is clean."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
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


# --- nginx in front (deploy/nginx/*.conf, as shipped) -------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vigil.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("vigil.example.org")]), False)
        .sign(key, hashes.SHA256())
    )
    crt, pem = folder / "fullchain.pem", folder / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return crt, pem


def _replace(text: str, pattern: str, new: str) -> str:
    """One change to the shipped file; fails when the file no longer has what it changes."""
    changed, count = re.subn(pattern, new, text)
    assert count, f"deploy/nginx/vigil.conf no longer matches {pattern!r}"
    return changed


def _nginx_config(folder: Path, upstream: int, static: Path) -> tuple[Path, int, int]:
    """The shipped site, changed only where a real install changes it (host name kept, the
    certificate paths) and where a test must (loopback ports, the upstream's port, paths)."""
    http, https = _free_port(), _free_port()
    crt, pem = _self_signed(folder)
    site = (REPO / "deploy" / "nginx" / "vigil.conf").read_text()
    site = _replace(site, r"listen \[::\]:\d+[^;]*;", "")
    site = _replace(site, r"listen 80;", f"listen 127.0.0.1:{http};")
    site = _replace(site, r"listen 443 ssl", f"listen 127.0.0.1:{https} ssl")
    site = _replace(site, r"server 127\.0\.0\.1:8001;", f"server 127.0.0.1:{upstream};")
    site = _replace(site, r"/etc/ssl/vigil/fullchain\.pem", str(crt))
    site = _replace(site, r"/etc/ssl/vigil/privkey\.pem", str(pem))
    site = _replace(site, r"/var/lib/vigil/static/", f"{static}/")
    site = _replace(site, r"/var/log/nginx/vigil\.access\.log", str(folder / "access.log"))
    (folder / "vigil.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = f"""
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 64; }}
http {{
{temp}
    include {REPO / "deploy" / "nginx" / "vigil-log-format.conf"};
    include {folder / "vigil.conf"};
}}
"""
    (folder / "nginx.conf").write_text(main)
    return folder / "nginx.conf", http, https


def _nginx_command(conf: Path) -> list[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(conf.parent), "-e", str(conf.parent / "error.log"), "-c", str(conf)]


def _wait_for_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nginx did not listen on {port}")


class TLSBrowser(Browser):
    """A client of nginx: HTTPS with the test's certificate, no proxy headers of its own but a
    forged X-Forwarded-For, which nginx must replace."""

    def __init__(self, port: int, cafile: Path):
        super().__init__(port)
        self.context = ssl.create_default_context(cafile=str(cafile))
        self.context.check_hostname = False

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=self.context)
        headers = {
            "Host": "vigil.example.org",
            "X-Forwarded-For": "198.51.100.66",
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
        text = response.read().decode(errors="replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
                assert "Secure" in value, value
        conn.close()
        return response, text


def test_it_signs_in_through_the_shipped_nginx_config_in_front_of_gunicorn(production, tmp_path):
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (debian-packages.txt, section ci)")
        pytest.skip("nginx is not installed")
    folder = tmp_path / "nginx"
    folder.mkdir()
    static = Path(production["VIGIL_DATA_DIR"]) / "static"
    static.mkdir(parents=True)
    (static / "probe.txt").write_text("static from nginx\n")
    gunicorn, upstream = _start(production)
    conf, http_port, https_port = _nginx_config(folder, upstream, static)
    check = subprocess.run([*_nginx_command(conf), "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr
    nginx = subprocess.Popen(_nginx_command(conf), stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_port(https_port, nginx)
        # Plain HTTP: /healthz for the load balancer, everything else redirected to HTTPS.
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
        conn.request("GET", "/healthz", headers={"Host": "vigil.example.org"})
        plain = conn.getresponse()
        assert plain.status == 200 and '"ok"' in plain.read().decode()
        conn.request("GET", "/accounts/login/", headers={"Host": "vigil.example.org"})
        plain = conn.getresponse()
        plain.read()
        assert plain.status == 301
        assert plain.getheader("Location") == "https://vigil.example.org/accounts/login/"
        conn.close()

        browser = TLSBrowser(https_port, folder / "fullchain.pem")
        response, body = browser.request("GET", "/static/probe.txt")
        assert response.status == 200 and body == "static from nginx\n"
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        response, body = browser.request("GET", "/accounts/login/?next=/tips/%3Fq%3Dsecret-term")
        assert response.status == 200, body[:500]
        # Django sees HTTPS (X-Forwarded-Proto from nginx): secure cookies, HSTS, no redirect.
        assert response.getheader("Strict-Transport-Security", "").startswith("max-age=")
        assert response.getheader("X-Request-ID")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        response, body = browser.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": "alice", "password": PASSWORD},
        )
        assert response.status == 302, body[:500]
        assert "/accounts/mfa/" in response.getheader("Location")
        assert "sessionid" in browser.cookies
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=40)
    # nginx set X-Forwarded-For to the client's own address: the forged one never reached Vigil.
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
    assert out.stdout.strip().splitlines()[-1] == "127.0.0.1"
    # nginx's access log has the path but never the query string (search terms are case data).
    log = (folder / "access.log").read_text()
    assert "/accounts/login/" in log and "rid=" in log
    assert "secret-term" not in log and "next=" not in log
