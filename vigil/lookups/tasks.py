"""Background look-ups: RDAP for every IP of a bulk import (when an administrator enabled RDAP)."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django_tasks import task

from vigil.core import request_context
from vigil.lookups import actions, rdap
from vigil.lookups.models import RdapResult

MAX_WAIT = 30  # seconds we honour of a registry's Retry-After before giving up on that IP


def _covered(ip: str, found: list[tuple[Any, Any]]) -> bool:
    addr = ipaddress.ip_address(ip)
    return any(a.version == addr.version and a <= addr <= b for a, b in found)


def _fetch(ip: str, actor: Any) -> RdapResult:
    """One look-up; a rate limit with a short Retry-After is waited out once."""
    result = actions.do_rdap_fetch("ip", ip, actor=actor)
    if result.status == RdapResult.Status.RATE_LIMITED and (result.retry_after or 0) <= MAX_WAIT:
        time.sleep(result.retry_after or 1)
        result = actions.do_rdap_fetch("ip", ip, actor=actor)
    return result


@task()
def rdap_lookup_ips(ips: list[str], actor_id: int, request_id: str = "") -> dict:
    """One RDAP query per network, not per IP: an IP inside a range already answered is skipped.

    An IP no registry serves (a private address, say) counts as an error and the batch goes
    on; RDAP turned off while the batch waited stops it (the rest counts as not asked).
    """
    actor = get_user_model().objects.filter(pk=actor_id).first()
    done = {"queried": 0, "skipped": 0, "errors": 0, "not_asked": 0}
    found: list[tuple[Any, Any]] = []
    todo = list(dict.fromkeys(ips))
    with request_context.bind(request_id=request_id or None, via="task"):
        for n, ip in enumerate(todo):
            if _covered(ip, found):
                done["skipped"] += 1
                continue
            try:
                result = _fetch(ip, actor)
            except rdap.RdapDisabled:
                done["not_asked"] = len(todo) - n
                break
            except rdap.RdapError:
                done["errors"] += 1
                continue
            done["queried"] += 1
            if result.status == RdapResult.Status.OK and result.range_start and result.range_end:
                try:
                    found.append(
                        (
                            ipaddress.ip_address(result.range_start),
                            ipaddress.ip_address(result.range_end),
                        )
                    )
                except ValueError:
                    pass
            elif result.status == RdapResult.Status.ERROR:
                done["errors"] += 1
    return done


def on_selectors_added_bulk(sender: Any, items: list, actor: Any = None, **kwargs: Any) -> int:
    """Queue RDAP for the IPs of an imported batch, after the import's transaction commits."""
    ips = [s.value for _tip, sels in items for s in sels if s.type == "ip"]
    if not ips or actor is None or not rdap.enabled():
        return 0
    request_id = request_context.current().request_id
    transaction.on_commit(
        lambda: rdap_lookup_ips.enqueue(ips=ips, actor_id=actor.pk, request_id=request_id or "")
    )
    return 0
