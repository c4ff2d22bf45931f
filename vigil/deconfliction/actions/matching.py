"""Finding candidate pairs: the shapes both probes share, names, handles of unknown platform.

Used by flagging.py (which probes exact values itself and inserts what these return).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection
from django.db.models import Q

from vigil.core import bulk
from vigil.deconfliction.models import NAME, Flag, PersonKey
from vigil.lib import names
from vigil.lib.selectors import HASHED_TYPES, KNOWN_PLATFORMS
from vigil.tips.models import Selector, Tip

PERSON = Selector.Type.PERSON
ONLINE_ID = Selector.Type.ONLINE_ID
UNKNOWN_PLATFORM = "unknown"
# A very common blocking key (say "smith, j…") must not turn one name into a scan.
MAX_NAME_CANDIDATES = 5000
CHUNK = 500


def ordered_pair(t1: int, t2: int) -> tuple[int, int]:
    return (t1, t2) if t1 < t2 else (t2, t1)


def by_type_conditions(keys: list[tuple[str, str]]) -> list[Q]:
    """(type, value) pairs as OR-ed `type = t AND value IN (…)` filters of at most CHUNK values.

    One statement per chunk instead of one per type: both SQLite (OR-by-union)
    and PostgreSQL (BitmapOr) answer it from the (type, value) index.
    """
    out: list[Q] = []
    for i in range(0, len(keys), CHUNK):
        by_type: dict[str, list[str]] = defaultdict(list)
        for s_type, value in keys[i : i + CHUNK]:
            by_type[s_type].append(value)
        cond = Q()
        for s_type, values in by_type.items():
            cond |= Q(type=s_type, value__in=values)
        out.append(cond)
    return out


# Values per statement of a probe: one statement answers a whole import batch.
PROBE_CHUNK = 5000


def probe(
    keys: Iterable[tuple[str, str]], *, shared_with: Collection[int] = ()
) -> Iterator[tuple[str, str, int, int | None, bool]]:
    """(type, value, tip id, its assignee, confirmed) of every selector holding one of `keys`.

    One statement per PROBE_CHUNK values, joined against the (type, value) index
    (`selector_type_value`): one UNION ALL branch per type, the values bound as
    one parameter. The caller's own selectors are in the answer when saved.

    `shared_with` (the batch's tip ids) leaves out, in SQL, the rows of those tips
    whose value no other tip holds: most values of an import are on one tip, and
    a row per selector back into Python cost more than the probe itself.

    PostgreSQL walks the keys (two arrays) and looks each one up in the index
    (`_probe_postgres`): whatever the table's statistics say.
    """
    keys = list(dict.fromkeys(keys))  # each key once (a key twice would repeat its rows)
    batch = sorted(shared_with)
    if connection.vendor == "postgresql":
        yield from _probe_postgres(keys, batch)
        return
    q = connection.ops.quote_name
    sel, tip = q(Selector._meta.db_table), q(Tip._meta.db_table)
    for i in range(0, len(keys), PROBE_CHUNK):
        by_type: dict[str, list[str]] = defaultdict(list)
        for s_type, value in keys[i : i + PROBE_CHUNK]:
            by_type[s_type].append(value)
        parts, params = [], []
        for s_type, values in by_type.items():
            cond, cond_params = bulk.in_list("s.value", values)
            if batch:
                # Held by another tip too, or by a tip outside the batch (the only holder).
                mine, mine_params = bulk.in_list("s.tip_id", batch)
                cond += (
                    f" AND (NOT ({mine}) OR EXISTS (SELECT 1 FROM {sel} o "  # noqa: S608
                    "WHERE o.type = s.type AND o.value = s.value AND o.tip_id <> s.tip_id))"
                )
                cond_params = [*cond_params, *mine_params]
            parts.append(
                "SELECT s.type, s.value, s.tip_id, t.assigned_to_id, s.confirmed "  # noqa: S608
                f"FROM {sel} s JOIN {tip} t ON t.id = s.tip_id WHERE s.type = %s AND {cond}"
            )
            params += [s_type, *cond_params]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            while rows := cursor.fetchmany(5000):
                for s_type, value, tip_id, assignee, confirmed in rows:
                    yield s_type, value, tip_id, assignee, bool(confirmed)


def _probe_postgres(
    keys: list[tuple[str, str]], batch: list[int]
) -> Iterator[tuple[str, str, int, int | None, bool]]:
    """probe() on PostgreSQL: one statement per PROBE_CHUNK keys, all types at once.

    Each key is one index look-up on (type, value), forced by a LATERAL subquery
    (OFFSET 0 keeps the planner from flattening it). `type = t AND value = ANY(…)`
    left the choice to the planner, and on tables grown since their last ANALYZE
    (a first large import: no statistics yet) it read every selector of the type
    and filtered the values, a scan per batch that grew with the table.
    """
    q = connection.ops.quote_name
    sel, tip = q(Selector._meta.db_table), q(Tip._meta.db_table)
    # With a batch: a key's rows when another tip holds it too (a tip holds a key once:
    # selector_unique_per_tip), or when its one holder is outside the batch. The holders
    # are counted over the key's one index range, not looked up a second time.
    count, mine = ("", "")
    if batch:
        count = ", count(*) OVER () AS holders"
        mine = " WHERE s.holders > 1 OR NOT (s.tip_id = ANY(%s::bigint[]))"
    sql = (
        "SELECT k.type, k.value, s.tip_id, "  # noqa: S608 - table names from the models
        f"(SELECT t.assigned_to_id FROM {tip} t WHERE t.id = s.tip_id), s.confirmed "
        "FROM unnest(%s::text[], %s::text[]) AS k(type, value) CROSS JOIN LATERAL "
        f"(SELECT s.tip_id, s.confirmed{count} FROM {sel} s WHERE s.type = k.type "
        f"AND s.value = k.value OFFSET 0) AS s{mine}"
    )
    ids = bulk.pg_array(batch)
    with connection.cursor() as cursor:
        for i in range(0, len(keys), PROBE_CHUNK):
            chunk = keys[i : i + PROBE_CHUNK]
            # Arrays as text (bulk.pg_array): psycopg's list dumper took longer than the probe.
            params = [bulk.pg_array([t for t, _ in chunk]), bulk.pg_array([v for _, v in chunk])]
            if batch:
                params.append(ids)
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(5000):
                for s_type, value, tip_id, assignee, confirmed in rows:
                    yield s_type, value, tip_id, assignee, bool(confirmed)


def label_of(selector: Selector) -> str:
    if selector.type in HASHED_TYPES:
        return selector.masked or "(masked)"
    return ""


def dob(details: dict | None) -> date | None:
    raw = (details or {}).get("dob")
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


@dataclass(slots=True)
class NewNotice:
    """A notice about to be inserted (TipNotice's columns, without a model instance)."""

    tip_id: int
    type: str
    value: str
    label: str
    reason: str
    detail: str


@dataclass(slots=True)
class NewFlag:
    """A flag about to be inserted (lighter than a model instance; same display rules)."""

    tip_a_id: int
    tip_b_id: int
    type: str
    value: str
    value_b: str = ""
    label: str = ""
    score: float | None = None
    match_reason: str = ""
    # Either side's selector is extracted from prose and not confirmed yet.
    possible: bool = False
    status: str = Flag.Status.OPEN.value

    display = Flag.display
    type_label = Flag.type_label


def handle_aliases(value: str) -> tuple[str, list[str]]:
    """(platform, the values the same handle takes on other platforms that it matches).

    A handle of unknown platform ("forum-user kestrel99" → unknown:kestrel99)
    matches that handle on any platform, and a known one matches it of unknown
    platform; two known platforms never match each other.
    """
    platform, _, handle = value.partition(":")
    if not handle:
        return platform, []
    if platform == UNKNOWN_PLATFORM:
        return platform, [f"{p}:{handle}" for p in sorted(KNOWN_PLATFORMS - {UNKNOWN_PLATFORM})]
    return platform, [f"{UNKNOWN_PLATFORM}:{handle}"]


def match_handle_aliases(
    wanted: dict[tuple[str, str], list[tuple[Tip, Selector]]],
    skip: set[tuple[str, str]],
    candidates: dict[tuple[int, int, str, str, str], NewFlag],
    assignees: dict[int, int],
) -> None:
    """Flag `unknown:h` against `kik:h` (value = the known platform's, value_b = unknown:h)."""
    asked: dict[str, list[tuple[str, str]]] = defaultdict(list)  # alias value -> wanted keys
    for key in wanted:
        if key[0] != ONLINE_ID or key in skip:
            continue
        for alias in handle_aliases(key[1])[1]:
            asked[alias].append(key)
    if not asked:
        return
    for _type, alias, other, assignee, other_ok in probe((ONLINE_ID, v) for v in asked):
        for key in asked[alias]:
            known, unknown = (
                (alias, key[1]) if key[1].startswith(f"{UNKNOWN_PLATFORM}:") else (key[1], alias)
            )
            for tip, s in wanted[key]:
                if tip.pk == other:
                    continue
                if assignee is not None:
                    assignees[other] = assignee
                a, b = ordered_pair(tip.pk, other)
                candidates.setdefault(
                    (a, b, ONLINE_ID, known, unknown),
                    NewFlag(
                        a,
                        b,
                        ONLINE_ID,
                        known,
                        value_b=unknown,
                        label=f"{known} ~ {unknown}"[:300],
                        match_reason="same handle; one platform unknown",
                        possible=not (s.confirmed and other_ok),
                    ),
                )


def index_names(people: list[tuple[Tip, Selector]]) -> dict[int, set[str]]:
    keys_by_selector: dict[int, set[str]] = {}
    rows = []
    missing = [s for _, s in people if s.pk is None]
    if missing:
        # A bulk_create that did not return primary keys: look them up once.
        found = {
            (t, v): pk
            for pk, t, v in Selector.objects.filter(
                tip_id__in={s.tip_id for s in missing}, type=PERSON
            ).values_list("pk", "tip_id", "value")
        }
        for s in missing:
            s.pk = found.get((s.tip_id, s.value))
    for _, s in people:
        if s.pk is None:
            continue
        keys = {k[:80] for k in names.name_keys(s.value, dob(s.details))}
        keys_by_selector[s.pk] = keys
        rows.extend(PersonKey(selector_id=s.pk, key=k) for k in keys)
    PersonKey.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return keys_by_selector


def match_names(
    people: list[tuple[Tip, Selector]],
    common_people: set[tuple[str, str]],
    candidates: dict[tuple[int, int, str, str, str], NewFlag],
    assignees: dict[int, int],
) -> None:
    if not people:
        return
    keys_by_selector = index_names(people)
    threshold = settings.NAME_MATCH_THRESHOLD
    for tip, s in people:
        if (PERSON, s.value) in common_people or s.pk not in keys_by_selector:
            continue
        keys = keys_by_selector[s.pk]
        if not keys:
            continue
        rows = (
            PersonKey.objects.filter(key__in=keys)
            .exclude(selector__tip_id=tip.pk)
            .values_list(
                "selector__tip_id",
                "selector__value",
                "selector__raw",
                "selector__details",
                "selector__tip__assigned_to_id",
                "selector__confirmed",
            )
            .distinct()[:MAX_NAME_CANDIDATES]
        )
        mine_dob = dob(s.details)
        mine_raw = (s.details or {}).get("name") or s.raw or s.value
        seen: set[tuple[int, str]] = set()
        for other_tip, other_value, other_raw, other_details, assignee, other_ok in rows:
            if (other_tip, other_value) in seen:
                continue
            if assignee is not None:
                assignees[other_tip] = assignee
            seen.add((other_tip, other_value))
            match = names.compare(
                s.value,
                other_value,
                dob_a=mine_dob,
                dob_b=dob(other_details),
                threshold=threshold,
            )
            if match is None:
                continue
            other_name = (other_details or {}).get("name") or other_raw or other_value
            if tip.pk < other_tip:
                a, b, va, vb, la, lb = tip.pk, other_tip, s.value, other_value, mine_raw, other_name
            else:
                a, b, va, vb, la, lb = other_tip, tip.pk, other_value, s.value, other_name, mine_raw
            vb = "" if vb == va else vb
            candidates.setdefault(
                (a, b, NAME, va, vb),
                NewFlag(
                    a,
                    b,
                    NAME,
                    va,
                    value_b=vb,
                    label=(la if la == lb else f"{la} ~ {lb}")[:300],
                    score=match.score,
                    match_reason=match.reason[:200],
                    possible=not (s.confirmed and other_ok),
                ),
            )
