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

from collections.abc import Callable
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from vigil.accounts.models import ApiToken, Role
from vigil.audit import actions as audit_actions

Action = Literal["read", "write", "delete"]
READ: Action = "read"
WRITE: Action = "write"
DELETE: Action = "delete"
ACTIONS = (READ, WRITE, DELETE)

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


def is_investigator(user: Any) -> bool:
    """An Investigator (not a Manager): new tips they create are assigned to them."""
    return _active(user) and user.role == Role.INVESTIGATOR


def can_take_tip(user: Any, tip: Any, *, seen: bool = False) -> bool:
    """May take (assign to themselves) this tip: it is unassigned, they see it, they create records.

    Managers pass too (they assign anyone); a Reader or an Administrator without
    a data role never does. `seen=True` when the tip came from `for_user(user)`
    already (a list page: no query per row).
    """
    if not (can_create(user) and tip.assigned_to_id is None):
        return False
    return seen or can(user, READ, tip)


# --- scope rules --------------------------------------------------------------------------
#
# A rule maps (user, action, owner_field) to a filter. Each model's queryset names
# its rule and its owner field (ScopedQuerySet below); nothing else decides scope.


def scope(user: Any, action: Action, *, owner_field: str | None) -> Q:
    """The case-record rule: a filter selecting the records `user` may act on.

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


def _all_if(ok: bool) -> Q:
    return Q() if ok else _NOTHING


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")


def case_record(user: Any, action: Action, owner_field: str | None) -> Q:
    """Case data: every data role reads; the owner (or a Manager) writes; a Manager deletes."""
    return scope(user, action, owner_field=owner_field)


def reference_data(user: Any, action: Action, owner_field: str | None = None) -> Q:
    """Directories and warning lists (sources, range data): data roles and administrators
    read; managers and administrators change."""
    _check_action(action)
    if action == READ:
        return _all_if(can_read_data(user) or can_manage_reference_data(user))
    return _all_if(can_manage_reference_data(user))


def managers_change(user: Any, action: Action, owner_field: str | None = None) -> Q:
    """Every data role reads; only Managers change or delete (offices, partners,
    conflicts, inaccuracy reports)."""
    _check_action(action)
    if action == READ:
        return _all_if(can_read_data(user))
    return _all_if(is_manager(user))


def managers_only(user: Any, action: Action, owner_field: str | None = None) -> Q:
    """Only Managers see or change them (legal holds, disposition proposals)."""
    _check_action(action)
    return _all_if(is_manager(user))


def read_only(user: Any, action: Action, owner_field: str | None = None) -> Q:
    """Every data role reads; nobody changes them through the access module (the
    accounting of disclosures is written only by its receiver)."""
    _check_action(action)
    return _all_if(action == READ and can_read_data(user))


def tip_pair(user: Any, action: Action, owner_field: str | None = None) -> Q:
    """Flags and links join two tips: an investigator acts on one when they can write
    either tip; deleting (a link) is for a Manager or an Administrator."""
    if action == WRITE:
        return scope(user, WRITE, owner_field="tip_a__assigned_to") | scope(
            user, WRITE, owner_field="tip_b__assigned_to"
        )
    if action == DELETE:
        return _all_if(can_remove_link(user))
    return scope(user, action, owner_field=None)


def private_message(user: Any, action: Action, owner_field: str | None = None) -> Q:
    """A message is private to its recipient, who alone changes it (marks it read);
    its sender sees it too. Roles do not matter."""
    _check_action(action)
    if not _active(user):
        return _NOTHING
    if action == READ:
        return Q(recipient=user) | Q(sender=user)
    return Q(recipient=user)


def sharer_owned(user: Any, action: Action, owner_field: str | None = "created_by") -> Q:
    """A share package: every data role sees it listed; its sharer (holding the
    "may share" grant) or a Manager downloads and removes it."""
    _check_action(action)
    if action == READ:
        return _all_if(can_read_data(user))
    if is_manager(user):
        return Q()
    if can_share(user):
        return Q(**{owner_field or "created_by": user})
    return _NOTHING


def creator_private(user: Any, action: Action, owner_field: str | None = "created_by") -> Q:
    """Seen and changed only by whoever made it, or a Manager (an import job: its page
    shows the rows it refused); deleted by a Manager."""
    _check_action(action)
    if action == READ:
        action = WRITE
    return scope(user, action, owner_field=owner_field or "created_by")


RULES: dict[str, Callable[[Any, Action, str | None], Q]] = {
    "case_record": case_record,
    "reference_data": reference_data,
    "managers_change": managers_change,
    "managers_only": managers_only,
    "read_only": read_only,
    "tip_pair": tip_pair,
    "private_message": private_message,
    "sharer_owned": sharer_owned,
    "creator_private": creator_private,
}


class ScopedQuerySet(QuerySet):
    """The one base of every queryset with `for_user`.

    A subclass declares whose record it is, nothing more:

        class TipQuerySet(ScopedQuerySet):
            scope_owner = "assigned_to"          # rule "case_record" by default

        class SourceQuerySet(ScopedQuerySet):
            scope_rule = "reference_data"

    `scope_owner` names the user the record belongs to (None: no case owns it);
    `scope_rule` names a rule in RULES.
    """

    scope_rule: str = "case_record"
    scope_owner: str | None = None

    def for_user(self, user: Any, action: Action = READ) -> QuerySet:
        return self.filter(scope_q(type(self), user, action))


def scope_q(qs_class: type[ScopedQuerySet], user: Any, action: Action) -> Q:
    return RULES[qs_class.scope_rule](user, action, qs_class.scope_owner)


def filter_for_user(
    qs: QuerySet, user: Any, action: Action, *, owner_field: str | None
) -> QuerySet:
    return qs.filter(scope(user, action, owner_field=owner_field))


def _manager(model: type[Model]) -> Any:
    manager = model._default_manager
    if not hasattr(manager, "for_user"):
        raise TypeError(f"{model.__name__} has no scoped queryset (access.ScopedQuerySet)")
    return manager


def can(user: Any, action: Action, obj: Any) -> bool:
    """May `user` `action` this record? One query through the model's scoped queryset."""
    if obj is None or getattr(obj, "pk", None) is None:
        return False
    return _manager(type(obj)).for_user(user, action).filter(pk=obj.pk).exists()


def can_ids(user: Any, action: Action, model: type[Model], ids: Any) -> set:
    """The ids among `ids` that `user` may `action` (one query for a whole page)."""
    ids = list(ids)
    if not ids:
        return set()
    return set(
        _manager(model).for_user(user, action).filter(pk__in=ids).values_list("pk", flat=True)
    )


def _refused(user: Any, action: str, status: int, reason: str, **target: Any) -> None:
    """Every refusal of this module writes one (rate-limited) `denied` audit row."""
    audit_actions.note_denied(user, f"access.{action}", status=status, reason=reason, **target)


def ensure(user: Any, action: Action, obj: Any, message: str = "") -> None:
    """Refuse (PermissionDenied) unless `user` may `action` `obj`, inside actions.

    The refusal carries `message` only when the user can see the record, so it
    says nothing about a record they may not see. Views fetch with
    `get_for_user` first, which answers 404 for those.
    """
    if can(user, action, obj):
        return
    _refused(user, action, 403, "not allowed", obj=obj)
    if message and action != READ and can(user, READ, obj):
        raise PermissionDenied(message)
    raise PermissionDenied


def get_for_user(model: type[Model] | QuerySet, user: Any, pk: Any, action: Action = READ) -> Any:
    """Fetch one record: 404 when the user may not see it, 403 when they may see but not `action` it."""
    qs = model if isinstance(model, QuerySet) else model._default_manager.all()
    manager = _manager(qs.model)
    try:
        obj = manager.for_user(user, READ).filter(pk__in=qs.values("pk")).get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        try:
            exists = qs.filter(pk=pk).exists()
        except (ValueError, TypeError, OverflowError):
            exists = False
        reason = "not in the user's reach" if exists else "no such record"
        _refused(user, READ, 404, reason, model=qs.model, object_id=str(pk)[:64])
        raise Http404 from None
    if action != READ and not can(user, action, obj):
        _refused(user, action, 403, "may see but not do this", obj=obj)
        raise PermissionDenied
    return obj


def check_in_scope(obj: Model, user: Any, action: Action = WRITE) -> None:
    """After a save, still inside the transaction: the record must still be in the user's scope.

    Stops an investigator moving a case out of their own reach (e.g. assigning it away).
    """
    if not can(user, action, obj):
        _refused(user, action, 403, "the change would put the record out of reach", obj=obj)
        raise PermissionDenied("That change would put the record out of your reach.")


def require(allowed: bool) -> None:
    """Refuse a page or function the user's role does not give: 403, written as an
    `access.use` denied row on the URL's name by vigil.audit.middleware."""
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


# --- API tokens -------------------------------------------------------------------------


def can_use_api(user: Any) -> bool:
    """Every active account may hold API tokens; a token acts with its user's role."""
    return _active(user)


def can_manage_all_api_tokens(user: Any) -> bool:
    """Managers and administrators see and revoke every user's tokens."""
    return _active(user) and (user.role == Role.MANAGER or user.is_account_admin)


def api_tokens_for(user: Any) -> QuerySet:
    """The tokens `user` may see: their own, or everyone's for a Manager or administrator."""
    qs = ApiToken.objects.select_related("user", "revoked_by")
    if can_manage_all_api_tokens(user):
        return qs
    return qs.filter(user=user) if can_use_api(user) else qs.none()


def api_token_for(user: Any, pk: Any) -> Any:
    """One token `user` may revoke: 404 for anyone else's (they may not see it)."""
    try:
        return api_tokens_for(user).get(pk=int(pk))
    except (ValueError, TypeError, api_tokens_for(user).model.DoesNotExist):
        raise Http404 from None
