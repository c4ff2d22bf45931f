"""Signals the tips app sends from its actions (inside the transaction).

Other apps (deconfliction) listen; tips knows nothing of them.
"""

from django.dispatch import Signal


class FlagReply(int):
    """What a receiver may return: the number of flags raised, and notes for the import
    summary naming values that raised none (warning list, common values)."""

    notes: list[str]

    def __new__(cls, count: int = 0, notes=()):
        reply = super().__new__(cls, count)
        reply.notes = list(notes)
        return reply


# Sent after selectors are added to a tip: kwargs tip, selectors (list[Selector]), actor.
selectors_added = Signal()
# Sent after selectors are removed from a tip: kwargs tip, selectors (list of (type, value)), actor.
selectors_removed = Signal()
# Sent once per batch by bulk paths (the importer) instead of `selectors_added`
# per tip: kwargs items (list of (Tip, list[Selector])), actor. Listeners of
# `selectors_added` must listen to this one too. Receivers return the number
# of flags they raised (an int, or a FlagReply naming values that raised none).
selectors_added_bulk = Signal()
# Sent after extracted (unconfirmed) selectors are confirmed: kwargs tip, selectors
# (list[Selector]), actor. Deconfliction probes them again: their "possible" flags
# become full ones. Receivers return the number of flags raised or made full.
selectors_confirmed = Signal()
