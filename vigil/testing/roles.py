"""Run one view as every persona and check the status code and the audit row.

Usage:
    def test_it_guards_the_tip_page(client, personas, tip):
        check_roles(client, personas, "get", reverse("tips-detail", args=[tip.pk]),
                    expect={"anonymous": 302, "reader": 200, "other_investigator": 200,
                            "investigator": 200, "manager": 200, "admin": 403},
                    audit_action="tip.view")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vigil.audit.models import AuditEvent

ROLES = ("anonymous", "reader", "other_investigator", "investigator", "manager", "admin")


def check_roles(
    client: Any,
    personas: Any,
    method: str,
    url: str,
    *,
    expect: dict[str, int],
    data: dict | Callable[[], dict] | None = None,
    audit_action: str | None = None,
    setup: Callable[[], Any] | None = None,
    **kwargs: Any,
) -> None:
    """`expect` maps each role in ROLES to a status code; `audit_action`, when
    given, must be recorded for every 2xx/3xx answer by a signed-in persona."""
    missing = set(ROLES) - set(expect)
    assert not missing, f"expect is missing roles: {sorted(missing)}"
    failures = []
    for role in ROLES:
        if setup is not None:
            setup()
        client.logout()
        user = None
        if role != "anonymous":
            user = getattr(personas, role)
            client.force_login(user)
        before = AuditEvent.objects.count()
        payload = data() if callable(data) else data
        response = (
            getattr(client, method)(url, payload, **kwargs)
            if payload is not None
            else getattr(client, method)(url, **kwargs)
        )
        if response.status_code != expect[role]:
            failures.append(f"{role}: expected {expect[role]}, got {response.status_code}")
            continue
        if audit_action and user is not None and response.status_code < 400:
            if not AuditEvent.objects.filter(
                id__gt=before, action=audit_action, actor=user
            ).exists():
                failures.append(f"{role}: no {audit_action!r} audit row")
    client.logout()
    assert not failures, "; ".join(failures)
