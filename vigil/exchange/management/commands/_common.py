"""Shared helpers for the exchange commands."""

from __future__ import annotations

import datetime as dt
import sys
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.utils import timezone

from vigil.core import request_context
from vigil.exchange import actions, sync
from vigil.victimid.management.commands._common import actor_for  # noqa: F401 - re-exported


def parse_since(text: str | None) -> dt.datetime | None:
    """--since DATE: YYYY-MM-DD (midnight UTC) or an ISO date-time."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--since {text!r} is not a date (use YYYY-MM-DD).") from None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


@contextmanager
def bar(desc: str, *, enabled: bool, unit: str = "record"):
    """A callback `update(done)` driving a tqdm bar on stderr when it is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done: None
        return
    from tqdm import tqdm

    progress = tqdm(desc=desc, unit=unit, unit_scale=True, file=sys.stderr)
    last = [0]

    def update(done: int) -> None:
        progress.update(done - last[0])
        last[0] = done

    try:
        yield update
    finally:
        progress.close()


def messages(exc: Exception) -> str:
    if isinstance(exc, PermissionDenied):
        return "That account may not do this."
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    return str(exc)


def run_transfer(opts: dict, transfer, *, checkpoint: str) -> tuple[object, dict]:
    """sync_partner and push_partner: the named partner, `transfer(partner, actor=…, limit=…,
    progress=…)` under a progress bar, its errors as one CommandError each (`checkpoint` says
    where a failed run leaves the partner's checkpoint); (partner, totals)."""
    actor = actor_for(opts.get("user"))
    try:
        partner = actions.partner_by_name(opts["partner"])
        with (
            request_context.bind(via="cli"),
            bar(partner.name, enabled=not opts["json"]) as update,
        ):
            totals = transfer(partner, actor=actor, limit=opts["limit"], progress=update)
    except (ValidationError, PermissionDenied) as exc:
        raise CommandError(messages(exc)) from None
    except sync.SyncError as exc:
        raise CommandError(f"{exc} {checkpoint}") from None
    return partner, totals
