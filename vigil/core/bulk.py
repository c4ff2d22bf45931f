"""Set-based INSERT of unsaved model instances, for the bulk actions (the tips import).

`in_list()` is the read side's counterpart (`in_filter()` for a queryset): a batch's
ids or values bound as one parameter, whatever their number.

Django's `bulk_create` compiles SQL and prepares every value of every row through
the field machinery; for 100,000 tips and 300,000 selectors that is most of an
import's time. `insert()` does per row only what must be done per row:

- ids are taken for the whole set first (PostgreSQL: `nextval` over the id
  sequence; SQLite: after the table's AUTOINCREMENT high-water mark, inside the
  caller's transaction, which SQLite serialises), and set on the instances;
- each column is converted by one adapter chosen once per field (text, numbers
  and booleans pass through; dates, JSON and bytes go through the field);
- rows go in with one prepared statement and `executemany` on SQLite, and with
  `COPY … FROM STDIN` on PostgreSQL.

`auto_now` / `auto_now_add` fields get one timestamp for the whole set. Model
`save()` and signals are not involved: callers are actions that audit what they
write (vigil/testing/guards.py lists the writes it allows).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


class _Memo(dict):
    """value -> what goes to the database: hits are a C-level dict lookup (map over a
    column), a miss computes once per distinct value (a batch's repeated timestamps,
    a choices field's few members)."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        out = self[value] = self.convert(value)
        return out


def _choice_value(v: Any) -> Any:
    return v.value if isinstance(v, enum.Enum) else v


def _adapter(field: models.Field) -> Callable[[list[Any]], list[Any]] | None:
    """How one column's values go to the database (a whole column at a time); None when
    they go as they are.

    Made per insert() call: a memo (one batch's repeated timestamps, a choices field's
    members) lives no longer than the call.
    """
    if field.choices:  # a TextChoices / IntegerChoices member goes in as its value
        choices = _Memo(_choice_value)
        return lambda column: list(map(choices.__getitem__, column))
    if isinstance(field, models.DateTimeField):
        stamps = _Memo(connection.ops.adapt_datetimefield_value)
        return lambda column: list(map(stamps.__getitem__, column))
    if isinstance(field, _PLAIN) and not isinstance(field, models.JSONField):
        return None
    prep = field.get_db_prep_save
    if isinstance(field, models.JSONField):
        if connection.vendor == "postgresql":
            prep = _json_text(prep)
        empty = prep({}, connection)
        return lambda column: [empty if v == {} else prep(v, connection) for v in column]
    return lambda column: [prep(v, connection) for v in column]


def _json_text(prep: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """PostgreSQL: a JSON field's value as its JSON text (what psycopg's Jsonb wrapper, which
    Django returns, would send, serialised by the same function), for COPY and arrays. The
    wrapper was serialised by psycopg's Python dumper, row by row (a tenth of a tip COPY)."""
    from psycopg.types.json import Jsonb

    def text(value: Any, conn: Any) -> Any:
        out = prep(value, conn)
        if isinstance(out, Jsonb):
            return (out.dumps or json.dumps)(out.obj)
        return out

    return text


def _converted(fields: Sequence[models.Field], columns: Sequence[Sequence[Any]]) -> list:
    """`columns` (one per field, in order) as they go to the database: each through its
    field's adapter, made once for the call, over the whole column."""
    out = []
    for f, column in zip(fields, columns, strict=True):
        adapt = _adapter(f)
        out.append(column if adapt is None else adapt(column))
    return out


_SEQUENCES: dict[str, str] = {}  # table -> its id sequence (PostgreSQL)


def _take_ids(model: type[models.Model], n: int, cursor: Any) -> range | list[int]:
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        sequence = _SEQUENCES.get(table)
        if sequence is None:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            sequence = _SEQUENCES[table] = cursor.fetchone()[0]
        # The first and last id when they run unbroken (no other writer took one between:
        # nearly always), else every id as one array (not n rows: fetching 3,000
        # one-column rows cost more than the nextvals).
        cursor.execute(
            "SELECT min(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL "
            "ELSE array_agg(id ORDER BY id) END FROM "
            "(SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s)) AS taken",
            [sequence, n],
        )
        first, ids = cursor.fetchone()
        return range(first, first + n) if ids is None else ids
    # SQLite: AUTOINCREMENT never reuses an id (not even a deleted tip's, which audit
    # rows still name); explicit larger ids move the sequence forward themselves.
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    seq = cursor.fetchone()
    q = connection.ops.quote_name
    cursor.execute(f"SELECT max({q(model._meta.pk.column)}) FROM {q(table)}")  # noqa: S608
    start = max(seq[0] if seq else 0, cursor.fetchone()[0] or 0) + 1
    return range(start, start + n)


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT `objs` (unsaved instances of one model) in one go; sets each one's pk.

    Runs inside the caller's transaction; a refused row fails the whole call.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    for f in fields:
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            for obj in objs:
                obj.__dict__[f.attname] = now
    columns = [meta.pk.column] + [f.column for f in fields]
    dicts = [obj.__dict__ for obj in objs]
    with connection.cursor() as cursor:
        ids = _take_ids(model, len(objs), cursor)
        # Column by column, in C where it can be: an itemgetter over the instances' dicts.
        columns_in = [list(map(operator.itemgetter(f.attname), dicts)) for f in fields]
        converted = [list(ids), *_converted(fields, columns_in)]
        del columns_in
        q = connection.ops.quote_name
        table, names = q(meta.db_table), ", ".join(q(c) for c in columns)
        if connection.vendor == "postgresql":
            types = _binary_types([meta.pk, *fields], converted)
            how = "" if types is None else " (FORMAT BINARY)"
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN{how}") as copy:
                if types is not None:
                    copy.set_types(types)
                for row in zip(*converted, strict=True):
                    copy.write_row(row)
        else:
            marks, rows = _sqlite_values(converted)
            sql = f"INSERT INTO {table} ({names}) VALUES {marks}"  # noqa: S608 - names from the model, constants quoted
            cursor.executemany(sql, rows)
    pk_name, alias = meta.pk.attname, connection.alias
    for pk, obj, d in zip(ids, objs, dicts, strict=True):
        d[pk_name] = pk  # what obj.pk = pk sets, without the property
        state = obj._state
        state.adding = False
        state.db = alias


# PostgreSQL base type -> (the type COPY's binary format is written as, the Python types
# a value of the column may have besides None). jsonb is written as bytes: its binary
# form is a version byte (1) and the JSON text; bytea's wrapped values are unwrapped.
_BINARY: dict[str, tuple[str, tuple[type, ...]]] = {
    "bigint": ("int8", (int,)),
    "integer": ("int4", (int,)),
    "smallint": ("int2", (int,)),
    "varchar": ("text", (str,)),
    "text": ("text", (str,)),
    "boolean": ("bool", (bool,)),
    "timestamp with time zone": ("timestamptz", (dt.datetime,)),
    "date": ("date", (dt.date,)),
    "double precision": ("float8", (float,)),
    "jsonb": ("bytea", (str,)),
    "bytea": ("bytea", (bytes,)),
}


_INT_RANGE = {"int2": 2**15, "int4": 2**31, "int8": 2**63}  # -bound <= value < bound


def _binary_types(fields: Sequence[models.Field], columns: list[list[Any]]) -> list[str] | None:
    """The types to COPY `columns` in binary format as (their jsonb and bytea columns
    turned into what that format sends, in place); None when a column's type or a
    value's is not one written here (then COPY goes as text, which converts anything
    psycopg knows). Binary COPY cost the client a third of text COPY's (no escaping, no
    number or date formatting) and the server less to read."""
    from psycopg import Binary

    types, kinds_of = [], []
    for f, column in zip(fields, columns, strict=True):
        base = _base_type(f)
        known = _BINARY.get(base)
        if known is None:
            return None
        kinds = set(map(type, column)) - {_NONE}
        if base == "bytea":
            kinds -= {Binary}
        if not kinds <= set(known[1]):
            return None  # a str in an integer column, an int in a boolean one: as text
        if dt.datetime in kinds and any(v.tzinfo is None for v in set(column) - {None}):
            return None  # naive datetimes: as text, read in the connection's time zone
        bound = _INT_RANGE.get(known[0])
        if bound is not None and int in kinds:
            ints = [v for v in column if v is not None] if None in column else column
            if min(ints) < -bound or max(ints) >= bound:
                # psycopg's binary writer keeps the low bytes of a number too large for
                # its type (2**40 as an integer is 0): as text, the server refuses it.
                return None
        types.append(known[0])
        kinds_of.append(base)
    for i, base in enumerate(kinds_of):
        column = columns[i]
        if base == "jsonb":
            text = _Memo(lambda v: b"\x01" + v.encode())
            columns[i] = [None if v is None else text[v] for v in column]
        elif base == "bytea":
            columns[i] = [bytes(v.obj) if isinstance(v, Binary) else v for v in column]
    return types


def _one_value(column: Sequence[Any]) -> bool:
    """Does every row of `column` hold the same value (== : 1 and True alike)?"""
    return column.count(column[0]) == len(column)


def _literal(column: list[Any]) -> str | None:
    """`column`'s one value as an SQLite literal, when every row holds that same value and
    it can be written safely (None, a boolean, an integer, a short string); else None."""
    first = column[0]
    if first is None:
        literal = "NULL"
    elif isinstance(first, bool):
        literal = "1" if first else "0"
    elif type(first) is int:
        literal = str(first)
    elif type(first) is str and len(first) <= 200 and "\x00" not in first and first.isprintable():
        # Quoted as SQLite quotes ('' for '), % doubled for the %s-to-? conversion.
        literal = "'" + first.replace("'", "''").replace("%", "%%") + "'"
    else:
        return None
    # Equal values only (1 and True store alike in SQLite).
    return literal if _one_value(column) else None


def _sqlite_values(columns: Sequence[list[Any]]) -> tuple[str, list[tuple]]:
    """The `(…)` of one row for an SQLite INSERT and the rows to bind to it: a column
    that holds one value on every row (a batch's timestamp, empty strings, defaults) is
    written into the statement once instead of bound on every row (binding 13 values a
    row was a third of a selector insert)."""
    marks, bound = [], []
    for column in columns:
        literal = _literal(column) if column else None
        if literal is None:
            marks.append("%s")
            bound.append(column)
        else:
            marks.append(literal)
    rows = list(zip(*bound, strict=True)) if bound else [()] * len(columns[0])
    return "(" + ", ".join(marks) + ")", rows


# WAL pages an SQLite connection may append before it checkpoints, during bulk writes
# (SQLite's default is 1,000: 4 MB). A checkpoint copies the WAL's pages into the
# database file; between an import's batches the same index pages are written again
# and again, so at the default a 20,000-row import checkpointed the same pages about
# twenty times (a tenth of its CPU). The WAL stays bounded: 64 MB, reused after each.
BULK_WAL_PAGES = 16_384


@contextmanager
def fewer_checkpoints() -> Iterator[None]:
    """SQLite: this connection checkpoints its WAL less often while bulk writes run
    (restored after). At the end it checkpoints what the bulk writes left in the WAL
    itself (passive: nobody waits for it), so the next request's commit does not pay
    for them (up to 64 MB of pages: about 3 % of an import's time). Nothing changes
    on PostgreSQL."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA wal_autocheckpoint={max(before, BULK_WAL_PAGES):d}")
    try:
        yield
    finally:
        if connection.connection is not None:  # still the same connection
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA wal_autocheckpoint={before:d}")
                if not connection.in_atomic_block:  # a checkpoint waits for the commit
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _base_type(field: models.Field) -> str:
    return re.sub(r"\(.*\)", "", field.db_type(connection) or "text")


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> list[tuple]:
    """INSERT plain `rows` (values in the order of the field `names`, attnames allowed)
    into `model`'s table; with `returning`, the new rows' values of those fields (in no
    guaranteed order); with `ignore_conflicts`, a row a unique constraint refuses is
    skipped (ON CONFLICT DO NOTHING: returned by neither).

    For callers that have values, not instances (flags and notices of a batch, a
    partner's records). Every other column takes its field's default; values are
    converted as insert() converts them (choices, datetimes, JSON). SQLite: one prepared
    statement run by executemany (multi-row VALUES when rows are returned); PostgreSQL:
    one statement per 10,000 rows whose columns are arrays read by unnest(), so a
    statement's text and planning never grow with its rows.
    """
    if not rows:
        return []
    meta = model._meta
    fields = [meta.get_field(n) for n in names]
    given = {f.name for f in fields}
    extra = [
        f
        for f in meta.concrete_fields
        if f.name not in given and not f.primary_key and f.has_default()
    ]
    given_columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    n = len(rows)
    converted = _converted(fields + extra, given_columns + [[f.get_default()] * n for f in extra])
    fields += extra
    q = connection.ops.quote_name
    head = f"INSERT INTO {q(meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608 - names from the model's metadata, values bound
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(q(meta.get_field(n).column) for n in returning)
    out: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [_base_type(f) for f in fields]
            for start in range(0, n, 10_000):
                columns = [c[start : start + 10_000] for c in converted]
                select, params = _pg_select(types, columns)
                cursor.execute(f"{head}{select}{tail}", params)
                if returning:
                    out.extend(tuple(r) for r in cursor.fetchall())
            return out
        one, rows = _sqlite_values(converted)
        if not returning:
            cursor.executemany(f"{head}VALUES {one}{tail}", rows)
            return out
        # SQLite allows 32,766 bound parameters: stay well under.
        per = max(1, min(1000, 30_000 // max(1, len(rows[0]))))
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            cursor.execute(
                f"{head}VALUES {', '.join([one] * len(chunk))}{tail}", [v for r in chunk for v in r]
            )
            out.extend(tuple(r) for r in cursor.fetchall())
    return out


def _pg_select(types: Sequence[str], columns: Sequence[Sequence[Any]]) -> tuple[str, list]:
    """The `SELECT … FROM unnest(…)` of insert_rows on PostgreSQL for these columns (of these
    base types) and its parameters. A column that holds one value on every row (a batch's
    timestamp, a notice's reason) is bound once as a value; the others go as one array
    each (pg_array). The casts name base types: a cast to varchar(n) would
    truncate a long value silently, where the column refuses it."""
    exprs, names, values, arrays = [], [], [], []
    for i, (kind, column) in enumerate(zip(types, columns, strict=True)):
        if _one_value(column):
            exprs.append(f"%s::{kind}")
            values.append(column[0])
        else:
            exprs.append(f"k.c{i}")
            names.append(f"c{i}")
            arrays.append((kind, pg_array(column)))
    if not arrays:  # every row alike: as many rows of the bound values
        rows = len(columns[0])
        return f"SELECT {', '.join(exprs)} FROM generate_series(1, {rows:d})", values  # noqa: S608 - types from the model
    src = ", ".join(f"%s::{kind}[]" for kind, _ in arrays)
    select = f"SELECT {', '.join(exprs)} FROM unnest({src}) AS k({', '.join(names)})"  # noqa: S608 - types from the model
    return select, values + [a for _, a in arrays]


_NONE = type(None)


def _quoted(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pg_array(values: Sequence[Any]) -> str | list:
    """`values` as the text of a PostgreSQL array literal (`{"a","b",NULL}`), to bind as one
    string that the statement casts (`%s::text[]`): psycopg's list dumper, a Python call per
    element, took longer than the statements it fed. Strings (quoted, `\\` and `"`
    escaped; str subclasses such as choices members as their text), integers, booleans,
    floats, dates and datetimes (ISO 8601 with their offset) and None (NULL); any other
    type, or a mix, and the list itself is returned, for psycopg to write."""
    kinds = set(map(type, values))
    if all(issubclass(k, str) for k in kinds):
        body = '","'.join(values)
        if "\\" not in body and body.count('"') == 2 * (len(values) - 1):
            return '{"' + body + '"}'  # nothing to escape: one join, in C
        return "{" + ",".join(map(_quoted, values)) + "}"
    kinds.discard(_NONE)
    if not kinds:
        return "{" + ",".join(["NULL"] * len(values)) + "}"
    if len(kinds) != 1:
        return list(values)
    (kind,) = kinds
    write: Callable[[Any], str]
    if issubclass(kind, str):
        write = _quoted
    elif kind is bool:
        write = {True: "t", False: "f"}.__getitem__
    elif issubclass(kind, int):
        write = int.__repr__  # an IntegerChoices member as its number
    elif kind is float:
        write = float.__repr__
    elif kind is dt.datetime or kind is dt.date:
        write = kind.isoformat
    else:
        return list(values)
    return "{" + ",".join(["NULL" if v is None else write(v) for v in values]) + "}"


def in_list(column: str, values: list) -> tuple[str, list]:
    """`column IN (the values)` as one bound parameter: a JSON array read by json_each
    (SQLite) or an array (PostgreSQL, its text written by pg_array, which PostgreSQL
    reads as an array of the column's type), so a statement's text never depends on how
    many."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [pg_array(values)]
    sql = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - a column name
    return sql, [json.dumps(list(values))]


def in_filter(column: str, values: list) -> RawSQL:
    """in_list() as a condition for a queryset's filter(): `column` of the queryset's table."""
    return RawSQL(*in_list(column, values), output_field=models.BooleanField())  # noqa: S611 - a column name, values bound


def ids_by(
    model: type[models.Model], where: dict[str, Any], name: str, values: Sequence[Any]
) -> dict[Any, Any]:
    """value -> pk of the rows of `model` whose field `name` holds one of `values` and whose
    fields `where` (name -> value) hold those values: a unique key's look-up for a batch
    (a source's references). Each value is one index look-up on PostgreSQL, whatever the
    statistics: a LATERAL subquery per value (OFFSET 0 keeps it one), where
    `col = ANY(…)` let the planner read every row of the source and filter them when the
    table had grown since its last ANALYZE (a first large import: a scan per batch that
    grew with the table)."""
    if not values:
        return {}
    meta, q = model._meta, connection.ops.quote_name
    column = q(meta.get_field(name).column)
    fixed = "".join(f" AND {q(meta.get_field(n).column)} = %s" for n in where)
    table, pk = q(meta.db_table), q(meta.pk.column)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT x.{column}, x.{pk} FROM unnest(%s::{_base_type(meta.get_field(name))}[]) "  # noqa: S608 - names from the model
            f"AS k(v) CROSS JOIN LATERAL (SELECT {column}, {pk} FROM {table} "
            f"WHERE {column} = k.v{fixed} OFFSET 0) AS x"
        )
        params = [pg_array(values), *where.values()]
    else:
        cond, params = in_list(column, list(values))
        sql = f"SELECT {column}, {pk} FROM {table} WHERE {cond}{fixed}"  # noqa: S608 - names from the model
        params = [*params, *where.values()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


@dataclass
class _Plan:
    related: dict[str, str]  # a foreign key's name -> its attname
    attnames: dict[str, str]  # name or attname -> attname
    constant: dict[str, Any]  # attname -> an immutable default (None, "", False, 0)
    made: list[tuple[str, Callable[[], Any]]]  # attname -> a default made per instance
    plain: frozenset[str] = frozenset()  # names stored as given (attnames, non-relation names)
    known: frozenset[str] = frozenset()  # every name or attname new() accepts
    by_name: tuple[tuple[str, str], ...] = ()  # (name, attname) of the relations (name != attname)


_PLANS: dict[type, _Plan] = {}
_IMMUTABLE = (type(None), str, int, float, bool, bytes)


def _plan(model: type[models.Model]) -> _Plan:
    plan = _Plan({}, {}, {}, [])
    for f in model._meta.concrete_fields:
        plan.attnames[f.name] = plan.attnames[f.attname] = f.attname
        if f.is_relation:
            plan.related[f.name] = f.attname
        if f.has_default() and callable(f.default):
            plan.made.append((f.attname, f.default))
        else:
            value = f.get_default()
            if isinstance(value, _IMMUTABLE):
                plan.constant[f.attname] = value
            else:
                plan.made.append((f.attname, f.get_default))
    plan.plain = frozenset(n for n, a in plan.attnames.items() if n == a)
    plan.known = frozenset(plan.attnames)
    plan.by_name = tuple((n, a) for n, a in plan.related.items() if n != a)
    return plan


def attach(objs: Sequence[models.Model], name: str, parent: models.Model) -> None:
    """`obj.<name> = parent` for each of `objs` (the id and the related-object cache),
    without the descriptor's checks: `parent` is a saved instance of the right model."""
    if not objs:
        return
    model = type(objs[0])
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = _plan(model)
    attname, pk = plan.related[name], parent.pk
    for obj in objs:
        obj.__dict__[attname] = pk
        obj._state.fields_cache[name] = parent


def new(model: type[M], **values: Any) -> M:
    """An unsaved instance, as `model(**values)` makes it, without Model.__init__'s cost.

    For the bulk paths (hundreds of thousands of selectors): values by field name
    or attname; a related object given by name is cached on the instance as
    __init__ would; every other field takes its default. No pre_init/post_init
    signal is sent (nothing in Vigil listens to them).
    """
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = _plan(model)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    d = obj.__dict__
    d.update(plan.constant)
    for attname, make in plan.made:
        if attname not in values:
            d[attname] = make()
    d.update(values)  # most names are attnames: stored as given
    if not plan.plain.issuperset(values):  # foreign keys by name (or a wrong name)
        if not plan.known.issuperset(values):
            wrong = sorted(values.keys() - plan.known)[0]
            raise TypeError(f"{model.__name__}() got an unexpected field {wrong!r}")
        for name, fk in plan.by_name:
            if name in values:
                value = d.pop(name)
                d[fk] = None if value is None else value.pk
                state.fields_cache[name] = value
    return obj
