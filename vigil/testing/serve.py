"""`python -m vigil.testing.serve`: this checkout's Vigil on 127.0.0.1, a port the OS chooses.

Prints "port N" once listening, then serves (threads) until killed. For tests only.
"""

from __future__ import annotations

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    print(f"port {server.server_port}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
