"""Signal receivers, connected in DeconflictionConfig.ready (tips sends, deconfliction listens)."""

from __future__ import annotations

import itertools

from vigil.deconfliction.actions.flagging import (
    FlagOutcome,
    do_flag_selectors,
    do_flag_tips,
    do_withdraw_selectors,
)
from vigil.deconfliction.models import TipNotice
from vigil.tips.signals import FlagReply, ValuesNote


def on_selectors_added(sender, *, tip, selectors, actor=None, **kwargs) -> int:
    return do_flag_selectors(tip, selectors, actor=actor)


MAX_NOTES = 20


def summary_notes(outcome: FlagOutcome) -> list[str | ValuesNote]:
    """The values that raised no flag (warning list, common value), for import summaries:
    one note per type and reason naming its first values (a seized server's list of
    private addresses is one line, not one per address; the summary merges batches')."""
    groups: dict[tuple[str, str, str], dict[str, None]] = {}
    tips: dict[tuple[str, str, str], int] = {}
    for n in outcome.notices:
        key = (n.type, n.reason, n.detail)
        groups.setdefault(key, {})[n.label or n.value] = None
        tips[key] = tips.get(key, 0) + 1
    notes: list[str | ValuesNote] = []
    for key, values in groups.items():
        s_type, reason, detail = key
        if reason == TipNotice.Reason.WARNING_LIST:
            tail = f": on the warning list ({detail}); no flag raised"
        else:
            tail = f": a common value ({detail}); one notice, no flags"
        named = tuple(itertools.islice(values, ValuesNote.NAMED))
        notes.append(ValuesNote(s_type, tail, named, tips[key], len(values) > len(named)))
    if len(notes) > MAX_NOTES:
        notes = notes[:MAX_NOTES] + [f"… and {len(notes) - MAX_NOTES} more such lines"]
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
