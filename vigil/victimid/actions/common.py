"""What every victim-identification action shares: who acts (a user, or the operator at the
server's shell), as the audit row names them."""

from __future__ import annotations

import getpass
from typing import Any


def _may(actor, allowed) -> bool:
    """`actor` None is the operator at the server's shell (management commands only)."""
    return actor is None or allowed(actor)


def _who(actor) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_username": f"cli:{getpass.getuser()}"}
    return {"actor": actor}


def _user(actor):
    return actor if getattr(actor, "pk", None) else None
