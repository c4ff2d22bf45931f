"""The role matrix: run one view or API endpoint as every persona, check the
status code and the audit rows.

Who may do what is written once, in `vigil/testing/matrix.py` (`MATRIX`: URL
name → method → a named expectation set below). `check_roles` looks the URL up
there, so a test only builds the record and the payload:

    def test_it_guards_the_tip_page(client, personas, tip):
        check_roles(client, personas, "get", reverse("tips-detail", args=[tip.pk]),
                    audit_action="tip.view")

A test whose record is in a state the registry's entry does not describe (no
share grant yet, a subpoena not approved) passes `expect=` explicitly, built
from the same named sets (`MANAGER_ONLY.but(investigator=200)`), never a dict.
`vigil/core/tests/test_role_coverage.py` fails for a named URL without an entry.

Statuses are derived, not copied: a role in the set gets `ok` (200 unless
`.returning(302)`), a role the record is hidden from gets 404
(`.on_record()`: the administrator, who has no data role), any other signed-in
role 403, and an anonymous caller 302 to the sign-in page (401 under /api/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Max
from django.urls import resolve

from vigil.audit.models import AuditEvent, Outcome

ROLES = ("anonymous", "reader", "other_investigator", "investigator", "manager", "admin")
PERSONAS = ROLES[1:]


@dataclass(frozen=True)
class Expect:
    """A named set of roles allowed to do one thing, and what everyone else gets."""

    name: str
    allowed: frozenset[str]
    ok: int = 200
    hidden: frozenset[str] = frozenset()
    denied: int = 403
    overrides: tuple[tuple[str, int], ...] = field(default=())

    def returning(self, status: int) -> Expect:
        """The allowed roles get `status` (302 after a form, 201 for a create)."""
        return replace(self, ok=status)

    def on_record(self) -> Expect:
        """A case record: the administrator (no data role) may not see it, 404."""
        return self.hiding("admin") if "admin" not in self.allowed else self

    def hiding(self, *roles: str) -> Expect:
        """`roles` may not see the record: 404, not 403."""
        _known(roles)
        return replace(self, hidden=self.hidden | frozenset(roles))

    def but(self, **statuses: int) -> Expect:
        """State-specific exceptions, by role (`but(investigator=403)`)."""
        _known(statuses)
        return replace(self, overrides=(*self.overrides, *statuses.items()))

    def status(self, role: str, *, api: bool = False) -> int:
        for r, s in reversed(self.overrides):
            if r == role:
                return s
        if role == "anonymous":
            return 401 if api else 302
        if role in self.allowed:
            return self.ok
        if role in self.hidden:
            return 404
        return self.denied

    def statuses(self, *, api: bool = False) -> dict[str, int]:
        return {role: self.status(role, api=api) for role in ROLES}

    def __str__(self) -> str:
        text = self.name
        if self.ok != 200:
            text += f".returning({self.ok})"
        if self.hidden:
            text += f".hiding({', '.join(sorted(self.hidden))})"
        if self.overrides:
            text += ".but(" + ", ".join(f"{r}={s}" for r, s in self.overrides) + ")"
        return text


def _known(roles: Iterable[str]) -> None:
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown roles: {sorted(unknown)}"


def _set(name: str, *roles: str) -> Expect:
    _known(roles)
    return Expect(name, frozenset(roles))


# The named sets. Everyone signed in; the data roles (the administrator has none).
SIGNED_IN = _set("SIGNED_IN", *PERSONAS)
READ_ALL = _set("READ_ALL", "reader", "other_investigator", "investigator", "manager")
# Any investigator or a Manager: create records, work on records that belong to no case.
WRITE_ALL = _set("WRITE_ALL", "other_investigator", "investigator", "manager")
# The assigned investigator (`investigator`) or a Manager: change one case.
WRITE_OWN = _set("WRITE_OWN", "investigator", "manager")
# The assigned investigator alone (a share needs the grant and the case).
OWNER_ONLY = _set("OWNER_ONLY", "investigator")
MANAGER_ONLY = _set("MANAGER_ONLY", "manager")
# Oversight: the audit trail, reference data and settings.
MANAGER_OR_ADMIN = _set("MANAGER_OR_ADMIN", "manager", "admin")
ADMIN_ONLY = _set("ADMIN_ONLY", "admin")
# No persona (an export before anyone has the share grant).
NOBODY = _set("NOBODY")
# A partner instance's Bearer token only: no account signs in there, so every persona is 401.
PARTNER_ONLY = Expect("PARTNER_ONLY", frozenset(), denied=401)


def latest_audit_id() -> int:
    """The highest audit id so far: rows written after a call have a higher one.

    Not `count()`: on PostgreSQL a rolled-back insert still uses its id.
    """
    return AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0


def expectation(url: str, method: str) -> Expect:
    """The registry's expectation set for `method` on `url`."""
    from vigil.testing.matrix import MATRIX

    name = resolve(url.split("?", 1)[0]).url_name
    entry = MATRIX.get(name)
    assert entry is not None, f"{name!r} has no entry in vigil/testing/matrix.py MATRIX"
    assert method in entry, f"{name!r} has no {method.upper()} in vigil/testing/matrix.py MATRIX"
    return entry[method]


def _sign_in(client: Any, user: Any, auth: str) -> None:
    if auth == "token":
        client.credentials()
        if user is not None:
            from vigil.testing.personas import api_token

            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
        return
    client.logout()
    if user is not None:
        client.force_login(user)


def check_roles(
    client: Any,
    personas: Any,
    method: str,
    url: str | Callable[[], str],
    *,
    expect: Expect | None = None,
    data: dict | Callable[[], dict] | None = None,
    audit_action: str | None = None,
    setup: Callable[[], Any] | None = None,
    auth: str = "session",
    **kwargs: Any,
) -> None:
    """Call `method` on `url` as each role in ROLES and compare the statuses.

    `url` may be a callable, called for each role once it is signed in (a
    record per role for a call that uses it up; a link made in the session). `client` is Django's test client signed
    in by session (`auth="session"`) or a DRF `APIClient` given each persona's
    API token (`auth="token"`). `expect` defaults to the registry's entry.
    With `audit_action`, every answer below 400 to a signed-in persona must
    have written that row (by that actor), and no refused call may have
    written it as a success (a refusal changes nothing).
    """
    assert auth in ("session", "token"), auth
    assert expect is None or isinstance(expect, Expect), "expect: a named set from roles.py"
    failures = []
    for role in ROLES:
        if setup is not None:
            setup()
        user = None if role == "anonymous" else getattr(personas, role)
        _sign_in(client, user, auth)
        target = url() if callable(url) else url
        wanted = expect if expect is not None else expectation(target, method)
        status = wanted.status(role, api=target.startswith("/api/"))
        before = latest_audit_id()
        payload = data() if callable(data) else data
        call = getattr(client, method)
        response = (
            call(target, payload, **kwargs) if payload is not None else call(target, **kwargs)
        )
        if response.status_code != status:
            failures.append(f"{role}: expected {status} ({wanted}), got {response.status_code}")
            continue
        if not audit_action:
            continue
        written = AuditEvent.objects.filter(id__gt=before, action=audit_action)
        if user is not None and response.status_code < 400:
            if not written.filter(actor=user).exists():
                failures.append(f"{role}: no {audit_action!r} audit row")
        elif response.status_code >= 400 and written.filter(outcome=Outcome.SUCCESS).exists():
            failures.append(f"{role}: refused ({response.status_code}) but {audit_action!r} done")
    _sign_in(client, None, auth)
    assert not failures, f"{method.upper()} {url}: " + "; ".join(failures)
