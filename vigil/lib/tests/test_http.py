"""The outbound wrapper against a real HTTP server on 127.0.0.1."""

import pytest

from vigil.lib import http
from vigil.testing.httpserver import serve


@pytest.fixture
def srv(settings):
    with serve() as live:
        settings.OUTBOUND_ALLOWED_HOSTS = [live.host]
        settings.OUTBOUND_PROXY = ""
        yield live


def test_it_fetches_json_with_a_neutral_user_agent_and_no_referrer(srv):
    srv.route("/ip/192.0.2.1", json={"handle": "NET-1"})
    data = http.get_json(
        srv.url("/ip/192.0.2.1"),
        headers={"Referer": "https://vigil.local/tips/12", "Cookie": "s=1", "X-Request-ID": "abc"},
    )
    assert data == {"handle": "NET-1"}
    sent = {k.lower(): v for k, v in srv.requests[-1].headers.items()}
    assert sent["user-agent"] == "Mozilla/5.0 (compatible)"
    assert "referer" not in sent and "cookie" not in sent and "x-request-id" not in sent
    assert "vigil" not in " ".join(sent.values()).lower()


def test_it_refuses_everything_when_no_host_is_allowed(srv, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    with pytest.raises(http.OutboundDisabled, match="disabled"):
        http.get(srv.url("/"))
    assert srv.requests == []


def test_it_refuses_a_host_outside_the_allow_list(srv, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["rdap.example.net"]
    with pytest.raises(http.HostNotAllowed, match="127.0.0.1"):
        http.get(srv.url("/"))
    assert srv.requests == []


def test_it_refuses_another_port_of_an_allowed_host(srv, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1:1"]
    with pytest.raises(http.HostNotAllowed):
        http.get(srv.url("/"))


def test_it_matches_allow_list_entries():
    hosts = ["rdap.arin.net", ".ripe.net", "10.0.0.1:8443", "[::1]:8080"]
    assert http.is_allowed("https://rdap.arin.net/registry/ip/1.2.3.4", hosts)
    assert http.is_allowed("https://rdap.db.ripe.net/ip/1", hosts)
    assert http.is_allowed("https://ripe.net/", hosts)
    assert not http.is_allowed("https://evilripe.net/", hosts)
    assert not http.is_allowed("https://rdap.arin.net.evil.org/", hosts)
    assert http.is_allowed("https://10.0.0.1:8443/", hosts)
    assert not http.is_allowed("https://10.0.0.1/", hosts)
    assert http.is_allowed("http://[::1]:8080/", hosts)
    assert not http.is_allowed("ftp://rdap.arin.net/", hosts)
    assert not http.is_allowed("file:///etc/passwd", hosts)


def test_it_follows_a_redirect_within_the_allow_list(srv):
    srv.route("/a", status=302, headers={"Location": "/b"})
    srv.route("/b", json={"ok": True})
    resp = http.get(srv.url("/a"))
    assert resp.json() == {"ok": True}
    assert resp.url == srv.url("/b")
    assert resp.redirects == [srv.url("/a")]


def test_it_rechecks_a_redirect_against_the_allow_list(srv):
    srv.route("/a", status=301, headers={"Location": "http://rdap.example.net/ip/1"})
    with pytest.raises(http.HostNotAllowed, match="redirected to 'rdap.example.net'"):
        http.get(srv.url("/a"))


def test_it_stops_a_redirect_loop(srv):
    srv.route("/a", status=302, headers={"Location": "/b"})
    srv.route("/b", status=302, headers={"Location": "/a"})
    with pytest.raises(http.TooManyRedirects):
        http.get(srv.url("/a"))


def test_it_times_out_a_silent_server(srv):
    srv.route("/slow", delay=1.5, body=b"late")
    with pytest.raises(http.OutboundTimeout, match="did not answer"):
        http.get(srv.url("/slow"), timeout=0.3)


def test_it_ends_a_dripping_body_at_the_deadline(srv):
    srv.route("/drip", body=b"x" * 50, drip=0.05)
    with pytest.raises(http.OutboundTimeout):
        http.get(srv.url("/drip"), timeout=1, deadline=0.5)


def test_it_refuses_an_announced_oversized_body(srv):
    srv.route("/big", body=b"x" * 5000)
    with pytest.raises(http.ResponseTooLarge, match="announced 5,000 bytes"):
        http.get(srv.url("/big"), max_bytes=1000)


def test_it_refuses_an_oversized_body_without_length(srv):
    srv.route("/ok", body=b"x" * 100_000, headers={"Connection": "close"})
    assert http.get(srv.url("/ok"), max_bytes=100_000).body == b"x" * 100_000
    with pytest.raises(http.ResponseTooLarge, match="sent more than 99,999 bytes"):
        http.get(srv.url("/ok"), max_bytes=99_999)


def test_it_raises_on_an_error_status_with_retry_after(srv):
    srv.route("/busy", status=429, headers={"Retry-After": "7"}, body=b"slow down")
    with pytest.raises(http.HTTPStatusError) as exc:
        http.get(srv.url("/busy"))
    assert exc.value.status == 429
    assert exc.value.retry_after == 7
    assert "429" in str(exc.value) and "retry after 7 s" in str(exc.value)


def test_it_returns_an_error_status_when_asked(srv):
    resp = http.get(srv.url("/missing"), raise_for_status=False)
    assert resp.status == 404


def test_it_reports_malformed_json_clearly(srv):
    srv.route("/bad", body=b'{"handle": ')
    with pytest.raises(http.InvalidJSON, match="not valid JSON"):
        http.get_json(srv.url("/bad"))


def test_it_reports_a_refused_connection(settings):
    with serve() as live:
        url = live.url("/")
        settings.OUTBOUND_ALLOWED_HOSTS = [live.host]
    with pytest.raises(http.OutboundConnectionError):
        http.get(url, timeout=1)


def test_it_posts_json_and_keeps_authorization_on_the_same_host(srv):
    srv.route("/sync", json={"accepted": 2})
    resp = http.post(
        srv.url("/sync"), json={"records": [1, 2]}, headers={"Authorization": "Bearer t"}
    )
    assert resp.json() == {"accepted": 2}
    got = srv.requests[-1]
    assert got.method == "POST" and got.body == b'{"records": [1, 2]}'
    assert got.headers["Authorization"] == "Bearer t"
    assert got.headers["Content-Type"] == "application/json"


def test_it_goes_through_the_egress_proxy(settings):
    with serve() as proxy:
        proxy.route("/ip/1", json={"via": "proxy"})
        settings.OUTBOUND_ALLOWED_HOSTS = ["rdap.example.net"]
        settings.OUTBOUND_PROXY = proxy.url("/")
        assert http.get_json("http://rdap.example.net/ip/1") == {"via": "proxy"}
        got = proxy.requests[-1]
        assert got.path == "http://rdap.example.net:80/ip/1"
        assert got.headers["Host"] == "rdap.example.net"


def test_it_refuses_header_injection(srv):
    with pytest.raises(ValueError):
        http.get(srv.url("/"), headers={"X-A": "1\r\nX-B: 2"})
