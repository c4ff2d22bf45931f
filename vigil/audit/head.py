"""The audit chain head: the newest event's id, hash and MAC, kept outside the database.

Someone who can write to the database can delete the newest audit rows and
leave a chain that is consistent in itself. The head, a small MACed JSON file
in VIGIL_DATA_DIR (settings.AUDIT_HEAD_FILE), remembers which event was the
newest, so `vigil verify_audit` reports what is missing.

Several web and task processes write events at once. Each moves the head after
its transaction commits, under an exclusive lock on a file beside it, and
replaces the file atomically (write a temporary file, fsync, rename). Commits
and their callbacks can finish out of order, so the head only moves forward,
and only onto an event that chains back, through valid MACs, to the event it
names now: a chain that was cut or rewritten in the database never carries the
head along with it (the refusal is logged; verify_audit reports the break).

The head also records `since`, the first event that carried a MAC: rows before
it are "legacy" rows, written before MACs existed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import logging.handlers
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from vigil.audit.models import AuditEvent
from vigil.lib import crypto

log = logging.getLogger("vigil.audit")
VERSION = 1


class HeadError(Exception):
    """The head file exists but cannot be read or does not verify."""


@dataclass
class Head:
    id: int
    hash: str
    mac: str
    since: int
    key: str = ""
    head_mac: str = ""
    version: int = VERSION

    def message(self) -> str:
        return f"vigil-audit-head-{self.version}\n{self.id}\n{self.hash}\n{self.mac}\n{self.since}"

    def sign(self) -> Head:
        self.key, key = crypto.audit_key()
        self.head_mac = crypto.audit_mac(key, self.message())
        return self

    def verifies(self) -> bool:
        key = crypto.audit_keys().get(self.key)
        return key is not None and crypto.audit_mac(key, self.message()) == self.head_mac


def path() -> Path:
    return Path(settings.AUDIT_HEAD_FILE)


def read() -> Head | None:
    """The head as stored, or None when there is no head file. Raises HeadError if unreadable."""
    p = path()
    try:
        raw = p.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HeadError(f"the chain head {p} cannot be read: {exc.strerror}") from None
    try:
        data = json.loads(raw)
        return Head(**{k: data[k] for k in Head.__dataclass_fields__ if k in data})
    except (ValueError, TypeError, KeyError) as exc:
        raise HeadError(f"the chain head {p} is not a valid head file ({exc})") from None


def _write(head: Head) -> None:
    p = path()
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(asdict(head), fh, sort_keys=True)
        fh.write("\n")
        fh.flush()
        if getattr(settings, "AUDIT_HEAD_SYNC", True):
            os.fsync(fh.fileno())
    # The data is synced before the rename (VIGIL_AUDIT_HEAD_SYNC, on by
    # default), so a crash leaves the old head or the new one, never a torn
    # file. The rename itself is not synced: a head that lost its last move
    # after a crash only lags, and the next event moves it on through the chain.
    os.replace(tmp, p)
    _mirror(head)


class _Locked:
    """An exclusive lock on `<head>.lock`, shared by every process on this data directory."""

    def __enter__(self) -> _Locked:
        p = path()
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._fh = open(p.with_name(p.name + ".lock"), "a")  # noqa: SIM115 - closed in __exit__
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: Any) -> None:
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        self._fh.close()


def _chains_from(current: Head, event_id: int) -> bool:
    """Do the rows from the head's event to `event_id` form an unbroken, MACed chain?"""
    keys = crypto.audit_keys()
    expected_id, prev_hash = current.id, None
    rows = AuditEvent.objects.filter(id__gte=current.id, id__lte=event_id).order_by("id")
    for row in rows.iterator(chunk_size=500):
        key = keys.get(row.mac_key)
        if (
            row.id != expected_id
            or key is None
            or not row.hash_matches()
            or crypto.audit_mac(key, row.mac_message()) != row.mac
            or (prev_hash is not None and row.prev_hash != prev_hash)
            or (prev_hash is None and (row.hash != current.hash or row.mac != current.mac))
        ):
            return False
        expected_id, prev_hash = row.id + 1, row.hash
    return expected_id == event_id + 1


def _links_back(current: Head, events: list[tuple[int, str, str, str]]) -> bool:
    """Do `events` (id, hash, mac, prev_hash; oldest first), which this process wrote and
    found committed as written, follow the head's event directly, each onto the one before?

    Then they are every row between the head and the newest of them, with the hashes and
    MACs this process computed from their content: nothing to read back and hash again
    (an import's batch commits two large events; re-hashing them was 6 % of its time).
    """
    expected_id, prev = current.id + 1, current.hash
    for event_id, event_hash, _mac, prev_hash in events:
        if event_id != expected_id or prev_hash != prev:
            return False
        expected_id, prev = event_id + 1, event_hash
    return bool(events)


def advance(
    event_id: int,
    event_hash: str,
    event_mac: str,
    prev_hash: str,
    *,
    batch_first: int = 0,
    batch: list[tuple[int, str, str, str]] | None = None,
) -> None:
    """Move the head to a committed event (called after a commit).

    `batch_first` is the oldest event of the same commit: a first head is
    written only when that commit holds the first MACed event of all. `batch`:
    the commit's events as written (oldest first, the newest being `event_id`),
    when known.
    """
    with _Locked():
        try:
            current = read()
        except HeadError as exc:
            log.error("audit head not moved to #%s: %s", event_id, exc)
            return
        if current is None:
            # A first head only for the first MACed event: a head that went
            # missing later is not silently re-created (verify_audit reports it).
            since = batch_first or event_id
            if AuditEvent.objects.filter(id__lt=since).exclude(mac="").exists():
                log.error(
                    "audit head %s is missing; not re-created at #%s (see verify_audit)",
                    path(),
                    event_id,
                )
                return
            _write(Head(id=event_id, hash=event_hash, mac=event_mac, since=since).sign())
            return
        if not current.verifies():
            log.error("audit head %s does not verify; left as evidence", path())
            return
        if event_id <= current.id:
            return  # a later event already moved it (callbacks finish out of order)
        if (
            prev_hash != current.hash
            and not _links_back(current, batch or [])
            and not _chains_from(current, event_id)
        ):
            log.error(
                "audit event #%s does not chain back to the head's event #%s: the chain in the "
                "database was cut or rewritten; head left at #%s (run verify_audit)",
                event_id,
                current.id,
                current.id,
            )
            return
        _write(Head(id=event_id, hash=event_hash, mac=event_mac, since=current.since).sign())


def advance_to_newest(pending: list[tuple[int, str, str, str]]) -> None:
    """Move the head to the newest committed event of `pending` (id, hash, mac, prev_hash).

    Entries of rolled-back transactions are still listed; they are not in the
    database (or their id now holds another row) and are passed over.
    """
    if not pending:
        return
    items = sorted(pending, reverse=True)
    pending.clear()
    stored = {
        row[0]: row[1:]
        for row in AuditEvent.objects.filter(id__in=[i[0] for i in items]).values_list(
            "id", "hash", "mac"
        )
    }
    committed = [i for i in items if stored.get(i[0]) == (i[1], i[2])]
    if committed:
        advance(*committed[0], batch_first=committed[-1][0], batch=committed[::-1])


def reset(event_id: int, event_hash: str, event_mac: str, since: int) -> Head:
    """Write a head naming `event_id` whatever is there now (vigil verify_audit --reset-head)."""
    with _Locked():
        head = Head(id=event_id, hash=event_hash, mac=event_mac, since=since).sign()
        _write(head)
        return head


_syslog: logging.Logger | None = None
_syslog_target = ""


def _mirror(head: Head) -> None:
    """Copy the head to syslog when VIGIL_AUDIT_SYSLOG names a target (a second witness)."""
    global _syslog, _syslog_target
    target = getattr(settings, "AUDIT_SYSLOG", "")
    if not target:
        return
    if _syslog is None or _syslog_target != target:
        address: str | tuple[str, int] = target
        if not target.startswith("/"):
            host, _, port = target.rpartition(":")
            address = (host or "127.0.0.1", int(port or 514))
        handler = logging.handlers.SysLogHandler(
            address=address, facility=logging.handlers.SysLogHandler.LOG_AUTH
        )
        _syslog = logging.getLogger("vigil.audit.head.syslog")
        _syslog.propagate = False
        for old in list(_syslog.handlers):
            _syslog.removeHandler(old)
            old.close()
        _syslog.addHandler(handler)
        _syslog.setLevel(logging.INFO)
        _syslog_target = target
    _syslog.info(
        "vigil-audit head id=%s mac=%s key=%s since=%s head_mac=%s",
        head.id,
        head.mac,
        head.key,
        head.since,
        head.head_mac,
    )
