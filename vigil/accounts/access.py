"""Every permission check in Vigil lives here.

Rules (from the system description):
- Investigator: read-write on records of cases assigned to them, read-only on
  all others, never deletes.
- Read-only: reads, never edits.
- Manager: full read-write and delete.
- Administrator: manages accounts and reads the audit trail; no data rights
  unless also given a data role.

Models expose `objects.for_user(user, action)` built on `scope()`; views fetch
records through `get_for_user()`, which answers 404 for what the user may not
see and 403 for what they may see but not change.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from vigil.accounts.models import Role

Action = Literal["read", "write", "delete"]
READ: Action = "read"
WRITE: Action = "write"
DELETE: Action = "delete"

_NOTHING = Q(pk__in=[])


def _active(user: Any) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.locked_at is None
    )


def can_read_data(user: Any) -> bool:
    return _active(user) and user.role in {Role.READER, Role.INVESTIGATOR, Role.MANAGER}


def can_create(user: Any) -> bool:
    """Create new case records (tips, series, match requests)."""
    return _active(user) and user.role in {Role.INVESTIGATOR, Role.MANAGER}


def is_manager(user: Any) -> bool:
    return _active(user) and user.role == Role.MANAGER


def can_delete(user: Any) -> bool:
    return is_manager(user)


def can_manage_accounts(user: Any) -> bool:
    return _active(user) and user.is_account_admin


def can_view_audit(user: Any) -> bool:
    return _active(user) and (user.is_account_admin or user.role == Role.MANAGER)


def can_manage_reference_data(user: Any) -> bool:
    """Directories and warning lists (sources, common values): managers and administrators."""
    return _active(user) and (user.is_account_admin or user.role == Role.MANAGER)


def can_share(user: Any) -> bool:
    """Create packages for outside agencies: a data role that writes, plus a Manager's grant."""
    return (
        _active(user)
        and user.role in {Role.INVESTIGATOR, Role.MANAGER}
        and bool(getattr(user, "may_share", False))
    )


def can_grant_share(user: Any) -> bool:
    """Grant or revoke "may share" (the unit chief validates the mission need)."""
    return is_manager(user)


def can_remove_link(user: Any) -> bool:
    return _active(user) and (user.is_account_admin or user.role == Role.MANAGER)


def scope(user: Any, action: Action, *, owner_field: str | None) -> Q:
    """A filter selecting the records `user` may act on.

    `owner_field` names the user the record belongs to (e.g. "assigned_to" on a
    tip, "tip__assigned_to" on a research note). None means the record belongs
    to no case: investigators may then write it but only managers delete.
    """
    if not _active(user):
        return _NOTHING
    role = user.role
    if action == READ:
        return Q() if role in {Role.READER, Role.INVESTIGATOR, Role.MANAGER} else _NOTHING
    if action == WRITE:
        if role == Role.MANAGER:
            return Q()
        if role == Role.INVESTIGATOR:
            return Q() if owner_field is None else Q(**{owner_field: user})
        return _NOTHING
    if action == DELETE:
        return Q() if role == Role.MANAGER else _NOTHING
    raise ValueError(f"unknown action {action!r}")


def filter_for_user(
    qs: QuerySet, user: Any, action: Action, *, owner_field: str | None
) -> QuerySet:
    return qs.filter(scope(user, action, owner_field=owner_field))


def get_for_user(model: type[Model] | QuerySet, user: Any, pk: Any, action: Action = READ) -> Any:
    """Fetch one record: 404 when the user may not see it, 403 when they may see but not `action` it."""
    qs = model if isinstance(model, QuerySet) else model._default_manager.all()
    manager = qs.model._default_manager
    try:
        obj = manager.for_user(user, READ).filter(pk__in=qs.values("pk")).get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action != READ and not manager.for_user(user, action).filter(pk=obj.pk).exists():
        raise PermissionDenied
    return obj


def check_in_scope(obj: Model, user: Any, action: Action = WRITE) -> None:
    """After a save, still inside the transaction: the record must still be in the user's scope.

    Stops an investigator moving a case out of their own reach (e.g. assigning it away).
    """
    if not obj._meta.model._default_manager.for_user(user, action).filter(pk=obj.pk).exists():
        raise PermissionDenied("That change would put the record out of your reach.")


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def account_for_admin(user: Any, pk: Any) -> Any:
    """An account to administer: 403 unless `user` manages accounts, 404 if there is none."""
    from django.contrib.auth import get_user_model

    require(can_manage_accounts(user))
    try:
        return get_user_model().objects.get(pk=int(pk))
    except (ValueError, TypeError, get_user_model().DoesNotExist):
        raise Http404 from None


def account_for_share_grant(user: Any, pk: Any) -> Any:
    """An account whose "may share" grant `user` changes: 403 unless a Manager, 404 if none."""
    from django.contrib.auth import get_user_model

    require(can_grant_share(user))
    try:
        return get_user_model().objects.get(pk=int(pk))
    except (ValueError, TypeError, get_user_model().DoesNotExist):
        raise Http404 from None
