"""Extension point: who must hear that a shared record was corrected.

The referrals app (which knows who received a tip) registers a notifier from
its AppConfig.ready(); retention imports nothing of it::

    from vigil.retention import hooks

    def tell_receivers(tip, report, *, outcome, actor):
        for referral in Referral.objects.filter(tip=tip):
            ...  # notify the receiving office, record it

    hooks.register_correction_notifier(tell_receivers)

A notifier runs inside the review's transaction (a failure rolls the review
back) and answers how many receivers it told.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Notifier = Callable[..., int]
correction_notifiers: list[Notifier] = []


def register_correction_notifier(notifier: Notifier) -> Notifier:
    if notifier not in correction_notifiers:
        correction_notifiers.append(notifier)
    return notifier


def unregister_correction_notifier(notifier: Notifier) -> None:
    if notifier in correction_notifiers:
        correction_notifiers.remove(notifier)


def notify_corrected(tip: Any, report: Any, *, outcome: str, actor: Any) -> int:
    return sum(
        int(n(tip, report, outcome=outcome, actor=actor) or 0) for n in list(correction_notifiers)
    )
