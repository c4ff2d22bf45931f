"""What the exchange app listens to (connected in ExchangeConfig.ready)."""

from __future__ import annotations


def _media_deleted(sender, rows, **kwargs) -> None:
    from vigil.exchange.actions import note_deleted

    note_deleted(rows)


def connect() -> None:
    from vigil.victimid import signals

    signals.media_deleted.connect(_media_deleted, dispatch_uid="exchange-tombstones")
