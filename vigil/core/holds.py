"""Legal holds as seen by the apps that delete records (they import no retention app).

The retention app registers a checker from its AppConfig.ready(); an action
that deletes a record asks first::

    from vigil.core import holds

    holds.ensure_not_held("series", series.pk)   # raises HeldError naming the holds

A checker takes (kind, id) — kind one of "tip", "series", "media" — and
answers the names of the active holds covering that record.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied

Checker = Callable[[str, int], list[str]]
_checkers: list[Checker] = []


class HeldError(PermissionDenied):
    """The record is under a legal hold and cannot be deleted."""


def register(checker: Checker) -> Checker:
    if checker not in _checkers:
        _checkers.append(checker)
    return checker


def holds_on(kind: str, pk: int) -> list[str]:
    names: list[str] = []
    for checker in list(_checkers):
        names.extend(checker(kind, pk))
    return sorted(set(names))


def ensure_not_held(kind: str, pk: int) -> None:
    names = holds_on(kind, pk)
    if names:
        raise HeldError(
            f"This {kind} is under legal hold ({', '.join(names)}) and cannot be deleted."
        )
