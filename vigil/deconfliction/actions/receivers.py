"""Signal receivers, connected in DeconflictionConfig.ready (tips sends, deconfliction listens)."""

from __future__ import annotations

from vigil.deconfliction.actions.flagging import (
    FlagOutcome,
    do_flag_selectors,
    do_flag_tips,
    do_withdraw_selectors,
)
from vigil.deconfliction.models import TipNotice
from vigil.tips.signals import FlagReply


def on_selectors_added(sender, *, tip, selectors, actor=None, **kwargs) -> int:
    return do_flag_selectors(tip, selectors, actor=actor)


MAX_NOTES = 20


def summary_notes(outcome: FlagOutcome) -> list[str]:
    """One line per value that raised no flag (warning list, common value), for import summaries."""
    seen: dict[tuple[str, str], str] = {}
    for n in outcome.notices:
        key = (n.type, n.value)
        if key in seen:
            continue
        label = f"{n.type} {n.label or n.value}"
        if n.reason == TipNotice.Reason.WARNING_LIST:
            seen[key] = f"{label}: on the warning list ({n.detail}); no flag raised"
        else:
            seen[key] = f"{label}: a common value ({n.detail}); one notice, no flags"
    notes = list(seen.values())
    if len(notes) > MAX_NOTES:
        notes = notes[:MAX_NOTES] + [f"… and {len(notes) - MAX_NOTES} more such values"]
    return notes


def on_selectors_added_bulk(sender, *, items, actor=None, **kwargs) -> int:
    """For a bulk path that sends one signal per batch: items = [(tip, [Selector, ...]), ...].

    Answers the number of flags, naming the values that raised none (the import summary).
    """
    outcome = do_flag_tips(items, actor=actor)
    return FlagReply(outcome.count, summary_notes(outcome))


def on_selectors_confirmed(sender, *, tip, selectors, actor=None, **kwargs) -> int:
    """Extracted selectors were confirmed: probe again (possible flags become full ones)."""
    return do_flag_tips([(tip, list(selectors))], actor=actor).count


def on_selectors_removed(sender, *, tip, selectors, actor=None, **kwargs) -> int:
    pairs = [(s.type, s.value) if hasattr(s, "type") else tuple(s) for s in selectors]
    return do_withdraw_selectors(tip, pairs, actor=actor)
