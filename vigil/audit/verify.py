"""Walk the audit chain and the chain head; report every break and what is missing.

Checks, row by row: the previous-hash link, the row's hash over its contents,
its MAC under the key it names, that MACed rows are numbered without gaps, and
that no MAC-less row follows the MAC boundary. Then the head kept outside the
database: it must verify, and the event it names must be in the database with
the same hash and MAC (older than it, the newest rows are missing; no rows at
all, everything is).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil.audit import head as chain_head
from vigil.audit.log import GENESIS
from vigil.audit.models import AuditEvent
from vigil.lib import crypto


@dataclass
class Problem:
    first: int | None  # event id, or None for a problem of the whole chain
    message: str
    last: int | None = None

    def __str__(self) -> str:
        if self.first is None:
            return self.message
        where = (
            f"#{self.first}" if self.last in (None, self.first) else f"#{self.first}–#{self.last}"
        )
        return f"event {where}: {self.message}"


@dataclass
class Report:
    checked: int = 0
    legacy: int = 0
    boundary: int | None = None
    newest: int | None = None
    head: chain_head.Head | None = None
    after_head: int = 0
    by_key: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def add(self, event_id: int | None, message: str) -> None:
        last = self.problems[-1] if self.problems else None
        # A rewrite from row 100 onwards breaks every later MAC: one line for the run.
        if (
            last is not None
            and event_id is not None
            and last.message == message
            and last.first is not None
            and (last.last or last.first) + 1 == event_id
        ):
            last.last = event_id
            return
        self.problems.append(Problem(event_id, message))


NO_MAC = (
    "it has no MAC but comes after the first MACed event #{since}: inserted, or its MAC stripped"
)
BAD_MAC = (
    "its MAC does not match: the row (or its hash) was changed or rewritten by someone "
    "without the audit key"
)


def verify_chain() -> Report:
    report = Report()
    keys = crypto.audit_keys()
    try:
        report.head = chain_head.read()
    except chain_head.HeadError as exc:
        report.problems.append(Problem(None, str(exc)))
    head = report.head
    if head is not None and not head.verifies():
        report.problems.append(
            Problem(
                None,
                f"the chain head {chain_head.path()} does not verify (forged, or MACed with key "
                f"{head.key!r}, which is not configured)",
            )
        )
    since = head.since if head is not None else None
    prev_hash, prev = GENESIS, None
    head_row = None
    for event in AuditEvent.objects.chain_order().iterator(chunk_size=2000):
        if event.prev_hash != prev_hash:
            before = f"#{prev.id}" if prev is not None else "the start of the chain"
            report.add(
                event.id,
                f"its previous-hash does not match the event before it ({before}): "
                "a row between them was removed, or one was altered",
            )
        if not event.hash_matches():
            report.add(event.id, "its contents do not match its hash (the row was altered)")
        if event.mac:
            if since is None:
                since = event.id
            key = keys.get(event.mac_key)
            if key is None:
                report.add(
                    event.id,
                    f"it is MACed with key {event.mac_key!r}, which is not configured "
                    "(VIGIL_AUDIT_KEY or VIGIL_AUDIT_OLD_KEYS)",
                )
            elif crypto.audit_mac(key, event.mac_message()) != event.mac:
                report.add(event.id, BAD_MAC)
            if prev is not None and prev.mac and event.id != prev.id + 1:
                missing = event.id - prev.id - 1
                report.problems.append(
                    Problem(
                        prev.id + 1,
                        f"{missing} event(s) missing between #{prev.id} and #{event.id} "
                        "(MACed events are numbered without gaps)",
                        event.id - 1,
                    )
                )
            report.by_key[event.mac_key] = report.by_key.get(event.mac_key, 0) + 1
        elif since is not None and event.id >= since:
            report.add(event.id, NO_MAC.format(since=since))
        else:
            report.legacy += 1
        if head is not None and event.id == head.id:
            head_row = event
        prev_hash, prev = event.hash, event
        report.checked += 1
    report.boundary = since
    report.newest = prev.id if prev is not None else None
    _check_head(report, head, head_row, prev)
    return report


def _check_head(report: Report, head, head_row, newest) -> None:
    if head is None:
        if report.by_key:
            report.problems.append(
                Problem(
                    None,
                    f"the chain head {chain_head.path()} is missing: whether the newest events "
                    "were removed cannot be checked",
                )
            )
        return
    if newest is None:
        report.problems.append(
            Problem(
                None,
                f"all events are missing: the database holds no audit events, but the chain "
                f"head names event #{head.id} (events #{head.since}–#{head.id} were written)",
            )
        )
        return
    if head_row is None:
        if newest.id < head.id:
            report.problems.append(
                Problem(
                    newest.id + 1,
                    f"the newest {head.id - newest.id} event(s) are missing: the chain head "
                    f"names #{head.id}, the newest event in the database is #{newest.id}",
                    head.id,
                )
            )
        else:
            report.problems.append(
                Problem(head.id, "the event the chain head names is missing from the database")
            )
    elif head_row.hash != head.hash or head_row.mac != head.mac:
        report.problems.append(
            Problem(
                head.id,
                "it is not the event the chain head names (the newest events were removed "
                "and others written in their place)",
            )
        )
    if newest.id > head.id:
        report.after_head = newest.id - head.id
