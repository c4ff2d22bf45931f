"""A real HTTP server on 127.0.0.1 (port chosen by the OS) for tests of outbound code.

    with serve() as srv:
        srv.route("/ip/1.2.3.4", json={...})
        srv.route("/slow", delay=2)
        srv.route("/moved", status=302, headers={"Location": "/ip/1.2.3.4"})
        vigil.lib.http.get(srv.url("/ip/1.2.3.4"))
        srv.requests[-1]  # method, path, headers, body of what arrived

A route's `handler(req) -> (status, headers, body)` overrides the static answer.
"""

from __future__ import annotations

import json as jsonlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0  # seconds between bytes of the body
    handler: Callable[[Received], tuple[int, dict[str, str], bytes]] | None = None


class LiveServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Received] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(
        self,
        path: str,
        *,
        status: int = 200,
        body: bytes | str = b"",
        json: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drip: float = 0.0,
        handler: Callable[[Received], tuple[int, dict[str, str], bytes]] | None = None,
    ) -> None:
        hdrs = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json)
            hdrs.setdefault("Content-Type", "application/rdap+json")
        if isinstance(body, str):
            body = body.encode()
        self.routes[path] = Route(status, body, hdrs, delay, drip, handler)


def _handler_for(live: LiveServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req = Received(self.command, self.path, dict(self.headers.items()), body)
            live.requests.append(req)
            path = self.path
            if path.startswith("http://"):  # a proxy request carries the absolute URI
                path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
            route = live.routes.get(path) or live.routes.get(path.split("?", 1)[0])
            if route is None:
                status, headers, payload = 404, {"Content-Type": "text/plain"}, b"not found"
            elif route.handler is not None:
                status, headers, payload = route.handler(req)
            else:
                status, headers, payload = route.status, route.headers, route.body
            if route is not None and route.delay:
                time.sleep(route.delay)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if headers.get("Connection") == "close":
                self.close_connection = True  # body ends when the socket closes: no length
            elif "content-length" not in {k.lower() for k in headers}:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                if route is not None and route.drip:
                    for i in range(len(payload)):
                        self.wfile.write(payload[i : i + 1])
                        self.wfile.flush()
                        time.sleep(route.drip)
                else:
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler


@contextmanager
def serve() -> Iterator[LiveServer]:
    live = LiveServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(live))
    server.daemon_threads = True
    live.server = server
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
