"""Signal receivers, connected in DeconflictionConfig.ready (tips sends, deconfliction listens)."""

from __future__ import annotations

from vigil.deconfliction.actions.flagging import (
    do_flag_selectors,
    do_flag_tips,
    do_withdraw_selectors,
)


def on_selectors_added(sender, *, tip, selectors, actor=None, **kwargs) -> int:
    return do_flag_selectors(tip, selectors, actor=actor)


def on_selectors_added_bulk(sender, *, items, actor=None, **kwargs) -> int:
    """For a bulk path that sends one signal per batch: items = [(tip, [Selector, ...]), ...]."""
    return do_flag_tips(items, actor=actor).count


def on_selectors_confirmed(sender, *, tip, selectors, actor=None, **kwargs) -> int:
    """Extracted selectors were confirmed: probe again (possible flags become full ones)."""
    return do_flag_tips([(tip, list(selectors))], actor=actor).count


def on_selectors_removed(sender, *, tip, selectors, actor=None, **kwargs) -> int:
    pairs = [(s.type, s.value) if hasattr(s, "type") else tuple(s) for s in selectors]
    return do_withdraw_selectors(tip, pairs, actor=actor)
