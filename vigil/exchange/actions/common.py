"""What every exchange action shares: batch sizes, the purpose of a disclosure, who acts, the
permission check, a new transfer row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied

from vigil.audit.log import acting as _who
from vigil.audit.log import user_or_none as _user
from vigil.exchange.models import Partner, Transfer

BATCH = 1000
SEND_BATCH = 5000  # media ids per exchange.send audit row
DISCLOSE_ENTRIES = 50_000  # runs of ids per disclosure (one per transfer unless ids scatter)
PURPOSE = "victim identification: exchange with an authorised partner"


def _require(actor, rule: Callable[[Any], bool]) -> None:
    """`actor` None is the operator at the server's shell (commands and tasks only)."""
    if actor is not None and not rule(actor):
        raise PermissionDenied


def new_transfer(
    partner: Partner | None, *, actor, direction: str, method: str, **extra
) -> Transfer:
    return Transfer.objects.create(
        partner=partner,
        direction=direction,
        method=method,
        actor=_user(actor),
        actor_username="" if _user(actor) else _who(actor).get("actor_username", ""),
        **extra,
    )
