"""`python -m vigil.testing.zygote`: one process of an instance (vigil.testing.instance) with
Django set up, every app imported, that forks a child for each command the test runs. Each
child is a process of its own (its own pid, exit status, stdout, stderr; killed by a signal
like any other) which starts with the apps already imported instead of importing them again:
~0.7 s of CPU a command, and a two-instance test runs dozens. For tests only.

Requests on stdin, a JSON line each: {"argv": [...]} (a `vigil` command, as
`python -m vigil.cli ...`) or {"code": "..."} (as `python -c ...`), with "stdout" and
"stderr", the files its output goes to. Answers on stdout: "started PID" for each request in
order, and "exited PID CODE" when that child ends (CODE negative: killed by that signal).
The zygote never opens a database connection; it exits when stdin closes.
"""

from __future__ import annotations

import json
import os
import select
import sys


def serve() -> dict:
    """Answer requests until stdin closes (then exit); in a forked child, return its request."""
    import django

    django.setup()
    from django.db import connections

    connections.close_all()
    answers = os.dup(1)
    os.dup2(2, 1)  # a stray print goes to stderr, not among the answers
    children: set[int] = set()
    pending = b""
    while True:
        ready, _, _ = select.select([0], [], [], 0.02 if children else None)
        if ready:
            chunk = os.read(0, 65536)
            if not chunk:
                sys.exit(0)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    os.close(answers)
                    return request
                children.add(pid)
                os.write(answers, f"started {pid}\n".encode())
        for pid in list(children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                children.discard(pid)
                os.write(answers, f"exited {pid} {os.waitstatus_to_exitcode(status)}\n".encode())


def _become(request: dict) -> None:
    """Turn the forked child into the process the request names: stdin empty, its output in
    the files named; what it raises or exits with is this process's exit, as in a new one."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, fd)
        os.close(out)
    if "argv" in request:
        from vigil import cli

        sys.argv = [cli.__file__, *request["argv"]]
        cli.main(sys.argv)
    else:
        sys.argv = ["-c"]
        exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102


if __name__ == "__main__":
    _become(serve())
