"""The one outbound HTTP wrapper. Every connection Vigil makes goes through here.

Rules it enforces, whatever the caller asks:

- Only hosts on the allow-list (``settings.OUTBOUND_ALLOWED_HOSTS``, from
  ``VIGIL_OUTBOUND_HOSTS``) are contacted. An entry is ``host``, ``host:port``
  or ``.example.org`` (that domain and every sub-domain). Empty list: nothing
  goes out (air-gapped default).
- Every redirect target is checked against the same list, and an https → http
  downgrade is refused. Credentials are dropped when a redirect changes host.
- Timeouts: ``timeout`` seconds per socket operation and ``deadline`` seconds for
  the whole exchange (a server that drips one byte a second still ends).
- Size limit: a body longer than ``max_bytes`` is refused (announced by
  Content-Length or counted while reading).
- A neutral User-Agent (``settings.OUTBOUND_USER_AGENT``), no Referer, no
  Origin, no cookies: nothing tells the far side who asks or why. Callers send
  the bare identifier only.
- An optional egress proxy (``settings.OUTBOUND_PROXY``, ``http://host:port``):
  plain http goes through it with an absolute URI, https through a CONNECT tunnel.

Failures raise a subclass of :class:`OutboundError` with a message fit for a user.
"""

from __future__ import annotations

import email.utils
import http.client
import json as jsonlib
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from vigil.lib import config

DEFAULT_TIMEOUT = 10.0
DEFAULT_DEADLINE = 30.0
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible)"
_CHUNK = 64 * 1024
# Headers a caller may never set: they would say where the request came from.
_FORBIDDEN_HEADERS = {"referer", "origin", "cookie", "user-agent", "host", "x-request-id"}
_REDIRECTS = {301, 302, 303, 307, 308}


class OutboundError(Exception):
    """Base of every failure of an outbound request."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class OutboundDisabled(OutboundError):
    """No host is allowed at all (the air-gapped default)."""


class HostNotAllowed(OutboundError):
    """The host (of the URL or of a redirect) is not on the allow-list."""


class OutboundTimeout(OutboundError):
    """The server did not answer, or not completely, in time."""


class OutboundConnectionError(OutboundError):
    """DNS, TCP, TLS or protocol failure."""


class ResponseTooLarge(OutboundError):
    """The body is longer than the limit."""


class TooManyRedirects(OutboundError):
    """More redirects than allowed, or a redirect loop."""


class HTTPStatusError(OutboundError):
    """The server answered with a 4xx/5xx status."""

    def __init__(
        self, message: str, *, url: str, status: int, retry_after: float | None, body: bytes
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after
        self.body = body


class InvalidJSON(OutboundError):
    """The body is not the JSON the caller expected."""


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: list[str] = field(default_factory=list)

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidJSON(
                f"{_host_of(self.url)} answered with a body that is not valid JSON ({exc}).",
                url=self.url,
            ) from None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def _settings(name: str, default: Any) -> Any:
    return config.get(name, default)


def allowed_hosts() -> list[str]:
    return [
        str(h).strip().lower() for h in _settings("OUTBOUND_ALLOWED_HOSTS", []) if str(h).strip()
    ]


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_allowed(url: str, hosts: list[str] | None = None) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    host = parts.hostname.lower().rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for entry in allowed_hosts() if hosts is None else hosts:
        entry = entry.lower()
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
            continue
        if entry.startswith("["):  # [v6]:port or [v6]
            e_host, _, e_port = entry[1:].partition("]")
            e_port = e_port.lstrip(":")
        elif entry.count(":") == 1:
            e_host, e_port = entry.split(":")
        else:
            e_host, e_port = entry, ""
        if host == e_host.rstrip(".") and (not e_port or e_port == str(port)):
            return True
    return False


def check_allowed(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise HostNotAllowed(f"Only http and https URLs can be fetched, not {url!r}.", url=url)
    hosts = allowed_hosts()
    if not hosts:
        raise OutboundDisabled(
            "Outbound connections are disabled: no host is allowed (VIGIL_OUTBOUND_HOSTS is empty).",
            url=url,
        )
    if not is_allowed(url, hosts):
        raise HostNotAllowed(
            f"{parts.hostname or url!r} is not on the list of hosts Vigil may contact "
            "(VIGIL_OUTBOUND_HOSTS).",
            url=url,
        )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection for `url` (through the proxy if one is set) and the request target."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    proxy = str(_settings("OUTBOUND_PROXY", "") or "")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=_settings("OUTBOUND_CA_FILE", None) or None)
        if proxy:
            p = urlsplit(proxy)
            conn = http.client.HTTPSConnection(
                p.hostname or "", p.port or 3128, timeout=timeout, context=context
            )
            conn.set_tunnel(host, port)
        else:
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    elif proxy:
        p = urlsplit(proxy)
        conn = http.client.HTTPConnection(p.hostname or "", p.port or 3128, timeout=timeout)
        netloc = f"[{host}]" if ":" in host else host
        target = f"http://{netloc}:{port}{target}"
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    return conn, target


def _once(
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    timeout: float,
    ends_at: float,
    max_bytes: int,
) -> tuple[int, dict[str, str], bytes]:
    conn, target = _connection(url, timeout)
    host_header = urlsplit(url).netloc.rsplit("@", 1)[-1]
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host_header)
        conn.putheader("Accept-Encoding", "identity")
        for name, value in headers.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        status = resp.status
        resp_headers = {k.lower(): v for k, v in resp.getheaders()}
        length = resp_headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes and status not in _REDIRECTS:
            raise ResponseTooLarge(
                f"{_host_of(url)} announced {int(length):,} bytes; the limit is {max_bytes:,}.",
                url=url,
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = ends_at - time.monotonic()
            if remaining <= 0:
                raise OutboundTimeout(f"{_host_of(url)} took too long to answer.", url=url)
            if conn.sock is not None:
                conn.sock.settimeout(min(timeout, remaining))
            chunk = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise ResponseTooLarge(
                    f"{_host_of(url)} sent more than {max_bytes:,} bytes.", url=url
                )
            chunks.append(chunk)
        return status, resp_headers, b"".join(chunks)
    except TimeoutError:
        raise OutboundTimeout(
            f"{_host_of(url)} did not answer within {timeout:g} s.", url=url
        ) from None
    except ssl.SSLError as exc:
        raise OutboundConnectionError(
            f"TLS with {_host_of(url)} failed: {exc.reason or exc}.", url=url
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise OutboundConnectionError(
            f"Could not talk to {_host_of(url)}: {exc.__class__.__name__} {exc}.".rstrip(), url=url
        ) from None
    finally:
        conn.close()


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
    accept: str = "*/*",
    timeout: float | None = None,
    deadline: float | None = None,
    max_bytes: int | None = None,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    raise_for_status: bool = True,
) -> Response:
    """Send one request (following allowed redirects) and return the whole response."""
    method = method.upper()
    timeout = float(
        timeout if timeout is not None else _settings("OUTBOUND_TIMEOUT", DEFAULT_TIMEOUT)
    )
    deadline = float(
        deadline if deadline is not None else _settings("OUTBOUND_DEADLINE", DEFAULT_DEADLINE)
    )
    max_bytes = int(
        max_bytes if max_bytes is not None else _settings("OUTBOUND_MAX_BYTES", DEFAULT_MAX_BYTES)
    )
    if json is not None:
        if body is not None:
            raise ValueError("Pass either body or json, not both.")
        body = jsonlib.dumps(json).encode("utf-8")
    sent: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if name.lower() in _FORBIDDEN_HEADERS:
            continue
        if "\n" in name or "\r" in name or "\n" in str(value) or "\r" in str(value):
            raise ValueError(f"Header {name!r} holds a line break.")
        sent[name] = str(value)
    if json is not None and not any(k.lower() == "content-type" for k in sent):
        sent["Content-Type"] = "application/json"
    sent.setdefault("Accept", accept)
    sent["User-Agent"] = str(_settings("OUTBOUND_USER_AGENT", DEFAULT_USER_AGENT))

    ends_at = time.monotonic() + deadline
    seen: list[str] = []
    current = url
    while True:
        check_allowed(current)
        status, resp_headers, data = _once(
            method, current, body, sent, timeout=timeout, ends_at=ends_at, max_bytes=max_bytes
        )
        if status in _REDIRECTS and resp_headers.get("location"):
            target = urljoin(current, resp_headers["location"])
            if len(seen) >= max_redirects or target in seen or target == current:
                raise TooManyRedirects(
                    f"{_host_of(url)} redirected too often (more than {max_redirects}) or in a loop.",
                    url=url,
                )
            if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
                raise HostNotAllowed(
                    f"{_host_of(current)} redirected from https to plain http ({target}); refused.",
                    url=target,
                )
            try:
                check_allowed(target)
            except HostNotAllowed as exc:
                raise HostNotAllowed(
                    f"{_host_of(current)} redirected to {_host_of(target) or target!r}, which is "
                    "not on the list of hosts Vigil may contact (VIGIL_OUTBOUND_HOSTS).",
                    url=target,
                ) from exc
            if _host_of(target) != _host_of(current):
                sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
            if status == 303 or (status in {301, 302} and method not in {"GET", "HEAD"}):
                method, body = "GET", None
                sent = {k: v for k, v in sent.items() if k.lower() != "content-type"}
            seen.append(current)
            current = target
            continue
        response = Response(current, status, resp_headers, data, redirects=seen)
        if raise_for_status and status >= 400:
            retry = _retry_after(resp_headers.get("retry-after"))
            wait = f" (retry after {retry:.0f} s)" if retry is not None else ""
            raise HTTPStatusError(
                f"{_host_of(current)} answered {status} {http.client.responses.get(status, '')}{wait}.".replace(
                    " .", "."
                ),
                url=current,
                status=status,
                retry_after=retry,
                body=data[:4096],
            )
        return response


def get(url: str, **kwargs: Any) -> Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> Response:
    return request("POST", url, **kwargs)


def get_json(url: str, *, accept: str = "application/json", **kwargs: Any) -> Any:
    return request("GET", url, accept=accept, **kwargs).json()
