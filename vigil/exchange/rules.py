"""The exchange app's access rules, built on vigil.accounts.access.

- Partner pages: every data role reads; only Managers create, change, approve,
  suspend and issue or revoke tokens.
- Imports (VICS files, packages): those who may create records (Investigators, Managers).
- Exports (VICS files for a partner, packages): only a user holding the Manager's
  "may share" grant (`access.can_share`, the accounts app's rule).
- Conflicts: every data role reads; only Managers decide.
"""

from __future__ import annotations

from typing import Any

from vigil.accounts import access


def can_read(user: Any) -> bool:
    return access.can_read_data(user)


def can_manage_partners(user: Any) -> bool:
    return access.is_manager(user)


def can_import(user: Any) -> bool:
    return access.can_create(user)


def can_export(user: Any) -> bool:
    return access.can_share(user)


def can_decide_conflicts(user: Any) -> bool:
    return access.is_manager(user)
