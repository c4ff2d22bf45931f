"""Extension points other apps plug into (deconfliction imports none of them).

Referred tips
-------------
When a link joins a tip to a cluster that holds a tip already referred to a
field office, the investigator assigned to the referred tip is notified and the
newly joined tip is suggested for the same office. Deconfliction does not know
about referrals; the referrals app registers a finder from its
AppConfig.ready()::

    from vigil.deconfliction import hooks

    def referred_tips(tip_ids):
        return [(r.tip, r.tip.assigned_to, r.office.name) for r in Referral.objects
                .filter(tip_id__in=tip_ids).select_related("tip__assigned_to", "office")]

    hooks.register_referred_tip_finder(referred_tips)

A finder takes an iterable of tip ids and returns a list of
(tip, assignee or None, office name) for those of the tips that were referred.
Finders run inside the linking transaction; they must only read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

ReferredTip = tuple[Any, Any, str]  # (Tip, User | None, office name)
Finder = Callable[[Iterable[int]], list[ReferredTip]]

referred_tip_finders: list[Finder] = []


def register_referred_tip_finder(finder: Finder) -> Finder:
    if finder not in referred_tip_finders:
        referred_tip_finders.append(finder)
    return finder


def unregister_referred_tip_finder(finder: Finder) -> None:
    if finder in referred_tip_finders:
        referred_tip_finders.remove(finder)


def find_referred(tip_ids: Iterable[int]) -> list[ReferredTip]:
    ids = list(tip_ids)
    found: list[ReferredTip] = []
    for finder in list(referred_tip_finders):
        found.extend(finder(ids))
    return found
