"""Read-heavy pages read from a replica: DATABASE_REPLICA_URL adds the `replica` alias.

A page opts in with :func:`read_from_replica` (tip search, the statistics page and its export).
Only the case-data apps are routed there: accounts, sessions, the audit trail (its chain reads
the newest row) and the task queue always use the primary, and every write goes to the primary.
Without DATABASE_REPLICA_URL nothing changes.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings

ALIAS = "replica"
# Apps whose reads may lag the primary by a moment without harm on a read-only page.
REPLICA_APPS = frozenset({"tips", "deconfliction", "victimid", "stats"})

_reading = contextvars.ContextVar("vigil_replica_reads", default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def read_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and ALIAS in settings.DATABASES and model._meta.app_label in REPLICA_APPS:
            return ALIAS
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both aliases

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
