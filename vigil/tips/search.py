"""Search: by selector value (normalised first) and full text over narratives and notes.

Full text is SQLite FTS5 (a `tips_fulltext` table the actions keep up to date)
or PostgreSQL full-text search (GIN expression indexes, see migration 0003).
Both use the 'simple' configuration: words match whole, every word must occur.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from vigil.lib import crypto
from vigil.lib import selectors as sel

_WORD = re.compile(r"\w+", re.UNICODE)
# Types a free query is tried as (person and attribute accept almost anything).
_VALUE_TYPES = ("ip", "email", "url", "domain", "online_id", "phone", "ssn", "card", "vehicle")
_HEX = re.compile(r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$")


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def index_tips(rows: Iterable[tuple[int, str]], *, new: bool = False) -> None:
    """(tip id, narrative) pairs: replace their full-text entries (no-op on PostgreSQL).

    `new`: tips just created (their ids never held an entry) are only added.
    """
    if not _sqlite():
        return
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cursor:
        if not new:
            cursor.executemany(
                "DELETE FROM tips_fulltext WHERE rowid = %s", [(2 * t,) for t, _ in rows]
            )
        cursor.executemany(
            "INSERT INTO tips_fulltext (rowid, kind, obj_id, tip_id, body) VALUES (%s, 'tip', %s, %s, %s)",
            [(2 * t, t, t, body or "") for t, body in rows],
        )


def index_note(note_id: int, tip_id: int, body: str) -> None:
    if not _sqlite():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tips_fulltext (rowid, kind, obj_id, tip_id, body) VALUES (%s, 'note', %s, %s, %s)",
            [2 * note_id + 1, note_id, tip_id, body],
        )


def forget(tip_ids: Iterable[int], note_ids: Iterable[int]) -> None:
    """Remove deleted tips and notes from the full-text table (no-op on PostgreSQL)."""
    if not _sqlite():
        return
    rowids = [(2 * t,) for t in tip_ids] + [(2 * n + 1,) for n in note_ids]
    if rowids:
        with connection.cursor() as cursor:
            cursor.executemany("DELETE FROM tips_fulltext WHERE rowid = %s", rowids)


def words(query: str) -> list[str]:
    return _WORD.findall(query or "")[:20]


def fulltext(qs: QuerySet, query: str) -> QuerySet:
    """Tips whose narrative or one of whose notes holds every word of `query`."""
    terms = words(query)
    if not terms:
        return qs.none()
    if _sqlite():
        match = " ".join('"' + t.replace('"', "") + '"' for t in terms)
        sql = "SELECT tip_id FROM tips_fulltext WHERE tips_fulltext MATCH %s"
        return qs.filter(pk__in=RawSQL(sql, [match]))  # noqa: S611 - constant SQL, bound parameters
    text = " ".join(terms)
    sql = (
        "SELECT id FROM tips_tip WHERE to_tsvector('simple'::regconfig, COALESCE(narrative, '')) "
        "@@ plainto_tsquery('simple'::regconfig, %s) "
        "UNION SELECT tip_id FROM tips_researchnote WHERE "
        "to_tsvector('simple'::regconfig, COALESCE(body, '')) @@ plainto_tsquery('simple'::regconfig, %s)"
    )
    return qs.filter(pk__in=RawSQL(sql, [text, text]))  # noqa: S611 - constant SQL, bound parameters


def candidate_values(query: str, *, region: str | None = "US") -> list[tuple[str, str]]:
    """Every (type, stored value) the query could be, trying each type's normaliser."""
    query = (query or "").strip()
    if not query:
        return []
    out: list[tuple[str, str]] = []
    for kind in _VALUE_TYPES:
        value = sel.normalise(kind, query, default_region=region)
        if value is None:
            continue
        out.append((kind, crypto.keyed_hash(kind, value) if kind in sel.HASHED_TYPES else value))
    if _HEX.match(query):
        out.append(("file_hash", query.lower()))
    person = sel.normalise("person", query)
    if person:
        out.append(("person", person))
    return out


def by_selector(qs: QuerySet, query: str) -> QuerySet:
    candidates = candidate_values(query)
    if not candidates:
        return qs.none()
    cond = Q()
    for kind, value in candidates:
        cond |= Q(selectors__type=kind, selectors__value=value)
    return qs.filter(pk__in=qs.model.objects.filter(cond).values("pk"))
