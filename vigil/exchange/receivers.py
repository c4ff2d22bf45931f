"""What the exchange app listens to (connected in ExchangeConfig.ready)."""

from __future__ import annotations

from vigil.victimid import signals


def _media_deleted(sender, rows, **kwargs) -> None:
    # Deferred: connected at start-up; exchange.actions (pyrage, pyzipper) loads on first use.
    from vigil.exchange.actions import note_deleted

    note_deleted(rows)


def connect() -> None:
    signals.media_deleted.connect(_media_deleted, dispatch_uid="exchange-tombstones")
