"""Signals the tips app sends from its actions (inside the transaction).

Other apps (deconfliction) listen; tips knows nothing of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.dispatch import Signal


@dataclass(frozen=True)
class ValuesNote:
    """A summary line naming a few values and what is said of them ("ip 10.0.0.1,
    10.0.0.2, 10.0.0.3 and more, on 5,000 tips: on the warning list (…); no flag raised").
    An import's batches each send theirs; the summary merges those of one kind and tail
    into one line (Summary.note), so a million-line list reads as one line, not a
    thousand."""

    kind: str  # the values' type ("ip")
    tail: str  # what is said of them, from its ":" on
    values: tuple[str, ...]  # the first NAMED
    tips: int  # the tips it concerns (a notice each)
    more: bool = False  # values beyond those named

    NAMED: ClassVar[int] = 3

    def merged(self, other: ValuesNote) -> ValuesNote:
        values = self.values + tuple(v for v in other.values if v not in self.values)
        return ValuesNote(
            self.kind,
            self.tail,
            values[: self.NAMED],
            self.tips + other.tips,
            self.more or other.more or len(values) > self.NAMED,
        )

    def __str__(self) -> str:
        if not self.more:
            return f"{self.kind} {', '.join(self.values)}{self.tail}"
        return f"{self.kind} {', '.join(self.values)} and more, on {self.tips:,} tips{self.tail}"


class FlagReply(int):
    """What a receiver may return: the number of flags raised, and notes for the import
    summary naming values that raised none (warning list, common values)."""

    notes: list[str | ValuesNote]

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
