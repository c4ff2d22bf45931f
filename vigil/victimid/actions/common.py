"""What every victim-identification action shares: who acts (a user, or the operator at the
server's shell), as the audit row names them."""

from __future__ import annotations

from vigil.audit.log import acting as _who
from vigil.audit.log import user_or_none as _user

__all__ = ["_may", "_user", "_who"]


def _may(actor, allowed) -> bool:
    """`actor` None is the operator at the server's shell (management commands only)."""
    return actor is None or allowed(actor)
