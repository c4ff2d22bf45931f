"""Who and where the current unit of work comes from.

Middleware binds each web request; background tasks and commands bind their
own (carrying the request id of the request that queued them), so audit rows
written anywhere can name their request.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None
    via: str = "web"  # web | api | cli | task


_current: ContextVar[RequestContext | None] = ContextVar("vigil_request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        # Shell or a test with no binding: a fresh id per call keeps rows distinguishable.
        return RequestContext(request_id=str(uuid.uuid4()), via="shell")
    return ctx


@contextlib.contextmanager
def bind(
    *, request_id: str | None = None, ip: str | None = None, via: str = "web"
) -> Iterator[RequestContext]:
    ctx = RequestContext(request_id=request_id or str(uuid.uuid4()), ip=ip, via=via)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
