"""The statistics registry: apps register the figures they can count.

Each figure is computed with aggregate queries for a period of whole months
(UTC) and answers a value per month plus a total; no row is ever loaded into
Python. The registry, like the dashboard's, is open: an app registers its
figures from its AppConfig.ready() and the statistics app knows nothing of it::

    from vigil.stats import registry

    def ready(self):
        from vigil.subpoenas.models import Subpoena

        issued = Subpoena.objects.exclude(issued_at=None)
        registry.register(
            "subpoenas_issued", "Subpoenas issued", section="Subpoenas",
            compute=registry.Count(issued, "issued_at"),
        )
        registry.register(
            "subpoenas_by_outcome", "Subpoenas issued by outcome", section="Subpoenas",
            compute=registry.Breakdown(issued, "issued_at", "outcome",
                                       labels=dict(Subpoena.Outcome.choices)),
        )

Computations: `Count(qs, date_field)`, `Sum(qs, date_field, expression)`,
`Breakdown(qs, date_field, key_field, labels=…, keys=…)` (a dict per month;
`keys` lists the keys that always appear, with zeros), `SumBreakdown(qs,
date_field, {key: expression})` (several sums as one dict per month) and
`MedianDays(qs, date_field, start_field, end_field)` (the median, in days, of
end − start over the rows whose `date_field` falls in the month; None when
there are none). `date_field` decides the month a row counts in: a tip's
`received_at`, a flag's `created_at`, a subpoena's issue date… always in UTC.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import F, Window
from django.db.models.functions import RowNumber, TruncMonth

UTC = dt.UTC
# One token per compute() run: a Cube answers its figures from one query per run.
_run: contextvars.ContextVar[object | None] = contextvars.ContextVar("stats_run", default=None)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period the user gave cannot be used (the message says why)."""


def parse_month(text: str, *, name: str = "month") -> dt.date:
    m = _MONTH.match((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise PeriodError(f"{name} must be a month written YYYY-MM (e.g. 2026-01), not {text!r}")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months from `first` to `last` inclusive, in UTC."""

    first: dt.date
    last: dt.date

    MAX_MONTHS = 1200

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError(
                f"the period ends ({self.last:%Y-%m}) before it starts ({self.first:%Y-%m})"
            )
        if len(self.months) > self.MAX_MONTHS:
            raise PeriodError(f"a period covers at most {self.MAX_MONTHS} months")

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        return cls(parse_month(start, name="--from"), parse_month(end, name="--to"))

    @classmethod
    def last_months(cls, n: int, *, today: dt.date | None = None) -> Period:
        today = today or dt.datetime.now(UTC).date()
        last = today.replace(day=1)
        first = last
        for _ in range(n - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return cls(first, last)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.first.year, self.first.month, 1, tzinfo=UTC)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: the first instant after the last month."""
        nxt = _next_month(self.last)
        return dt.datetime(nxt.year, nxt.month, 1, tzinfo=UTC)

    @property
    def months(self) -> list[str]:
        out, d = [], self.first
        while d <= self.last:
            out.append(f"{d:%Y-%m}")
            d = _next_month(d)
        return out

    def __str__(self) -> str:
        return f"{self.first:%Y-%m} to {self.last:%Y-%m}"


def month_key(value: str | dt.datetime | dt.date) -> str:
    return value if isinstance(value, str) else f"{value:%Y-%m}"


@dataclass
class Result:
    by_month: dict[str, Any]
    total: Any


def _qs(source: models.QuerySet | Callable[[], models.QuerySet]) -> models.QuerySet:
    return (source() if callable(source) else source).all()


def _in_period(qs: models.QuerySet, date_field: str, period: Period) -> models.QuerySet:
    return qs.filter(**{f"{date_field}__gte": period.start, f"{date_field}__lt": period.end})


class UTCMonth(models.Func):
    """The month of a datetime in UTC, as text "YYYY-MM".

    PostgreSQL: TruncMonth's date_trunc at time zone UTC, formatted. SQLite:
    Django stores datetimes there as UTC text ("YYYY-MM-DD HH:MM:SS…"), so the
    month is its first seven characters; TruncMonth would call a Python
    function per row (about 20 µs each: 20 s on a million tips).
    """

    arity = 1
    output_field = models.CharField()

    def as_sql(self, compiler, connection, **extra):
        inner = TruncMonth(self.source_expressions[0], tzinfo=UTC)
        sql, params = compiler.compile(inner)
        return f"to_char({sql}, 'YYYY-MM')", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"substr({sql}, 1, 7)", params


class DaysBetween(models.Func):
    """(end − start) in days, as a float, computed by the database."""

    arity = 2
    output_field = models.FloatField()

    def as_sql(self, compiler, connection, **extra):
        (start, p1), (end, p2) = (compiler.compile(e) for e in self.source_expressions)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)", [*p2, *p1]

    def as_sqlite(self, compiler, connection, **extra):
        (start, p1), (end, p2) = (compiler.compile(e) for e in self.source_expressions)
        return f"(julianday({end}) - julianday({start}))", [*p2, *p1]


def _month(date_field: str) -> UTCMonth:
    return UTCMonth(date_field)


class Computation:
    kind = "count"

    def __call__(self, period: Period) -> Result:  # pragma: no cover - interface
        raise NotImplementedError


class Sum(Computation):
    """Sum of `expression` over the rows whose `date_field` falls in each month."""

    def __init__(self, queryset, date_field: str, expression: Any) -> None:
        self.queryset, self.date_field = queryset, date_field
        self.aggregate: Any = models.Sum(expression)

    def __call__(self, period: Period) -> Result:
        rows = (
            _in_period(_qs(self.queryset), self.date_field, period)
            .annotate(_m=_month(self.date_field))
            .order_by()
            .values("_m")
            .annotate(_v=self.aggregate)
            .values_list("_m", "_v")
        )
        by_month = dict.fromkeys(period.months, 0)
        for m, v in rows:
            by_month[month_key(m)] += int(v or 0)
        return Result(by_month, sum(by_month.values()))


class SumBreakdown(Computation):
    """Several sums per month, one key each: {"2026-01": {"real": 3, …}, …}, in one query.

    `expressions` maps each key (always shown, zeros included) to what is summed
    over the rows whose `date_field` falls in the month (e.g. a number kept in a
    JSON summary).
    """

    kind = "breakdown"

    def __init__(self, queryset, date_field: str, expressions: dict[str, Any]) -> None:
        self.queryset, self.date_field = queryset, date_field
        self.expressions = dict(expressions)

    def __call__(self, period: Period) -> Result:
        names = {f"_v{i}": key for i, key in enumerate(self.expressions)}
        sums = {
            alias: models.Sum(expr)
            for alias, expr in zip(names, self.expressions.values(), strict=True)
        }
        rows = (
            _in_period(_qs(self.queryset), self.date_field, period)
            .annotate(_m=_month(self.date_field))
            .order_by()
            .values("_m")
            .annotate(**sums)
        )
        by_month = {m: dict.fromkeys(self.expressions, 0) for m in period.months}
        for row in rows:
            for alias, key in names.items():
                by_month[month_key(row["_m"])][key] += int(row[alias] or 0)
        total = {k: sum(by_month[m][k] for m in period.months) for k in self.expressions}
        return Result(by_month, total)


class Count(Sum):
    """Rows whose `date_field` falls in each month (distinct values of `distinct`, if given)."""

    def __init__(self, queryset, date_field: str, *, distinct: str | None = None) -> None:
        self.queryset, self.date_field = queryset, date_field
        self.aggregate = models.Count(distinct, distinct=True) if distinct else models.Count("pk")


class Breakdown(Computation):
    """Rows per month per value of `key_field`: {"2026-01": {"new": 3, …}, …}.

    `keys` always appear (zeros included); `labels` maps a stored value to the
    key shown (e.g. a source id to its name: pass a callable taking the set of
    values seen and answering {value: key}, so one small query maps them all).
    """

    kind = "breakdown"

    def __init__(
        self,
        queryset,
        date_field: str,
        key_field: str,
        *,
        labels: dict | Callable[[set], dict] | None = None,
        keys: Iterable[str] | Callable[[], Iterable[str]] = (),
    ) -> None:
        self.queryset, self.date_field, self.key_field = queryset, date_field, key_field
        self.labels, self.keys = labels, keys

    def _rows(self, period: Period) -> list[tuple]:
        return list(
            _in_period(_qs(self.queryset), self.date_field, period)
            .annotate(_m=_month(self.date_field))
            .order_by()
            .values("_m", self.key_field)
            .annotate(_v=models.Count("pk"))
            .values_list("_m", self.key_field, "_v")
        )

    def __call__(self, period: Period) -> Result:
        rows = self._rows(period)
        values = {k for _, k, _ in rows}
        labels = self.labels(values) if callable(self.labels) else (self.labels or {})
        keys = list(self.keys() if callable(self.keys) else self.keys)
        seen = sorted({str(labels.get(k, k)) for k in values} - set(keys))
        keys += seen
        by_month = {m: dict.fromkeys(keys, 0) for m in period.months}
        for m, k, v in rows:
            by_month[month_key(m)][str(labels.get(k, k))] += int(v)
        total = dict.fromkeys(keys, 0)
        for counts in by_month.values():
            for k, v in counts.items():
                total[k] += v
        return Result(by_month, total)


class Cube:
    """One GROUP BY over several dimensions, shared by the figures cut from it.

    The tip figures (received; by source, kind, status, priority) are five
    views of one query grouped by (month, source, status, priority): one scan
    of the tips instead of five. Within one `compute()` the query runs once.
    """

    def __init__(self, queryset, date_field: str, dims: Iterable[str]) -> None:
        self.queryset, self.date_field, self.dims = queryset, date_field, list(dims)
        self._memo: tuple[Any, list[tuple]] | None = None

    def rows(self, period: Period) -> list[tuple]:
        token = (_run.get(), period)
        if token[0] is not None and self._memo is not None and self._memo[0] == token:
            return self._memo[1]
        rows = list(
            _in_period(_qs(self.queryset), self.date_field, period)
            .annotate(_m=_month(self.date_field))
            .order_by()
            .values("_m", *self.dims)
            .annotate(_v=models.Count("pk"))
            .values_list("_m", *self.dims, "_v")
        )
        self._memo = (token, rows)
        return rows

    def count(self) -> Computation:
        return _CubeCount(self)

    def breakdown(
        self,
        dim: str,
        *,
        labels: dict | Callable[[set], dict] | None = None,
        keys: Iterable[str] | Callable[[], Iterable[str]] = (),
    ) -> Computation:
        return _CubeBreakdown(self, dim, labels=labels, keys=keys)


class _CubeCount(Computation):
    def __init__(self, cube: Cube) -> None:
        self.cube = cube

    def __call__(self, period: Period) -> Result:
        by_month = dict.fromkeys(period.months, 0)
        for row in self.cube.rows(period):
            by_month[month_key(row[0])] += int(row[-1])
        return Result(by_month, sum(by_month.values()))


class _CubeBreakdown(Breakdown):
    def __init__(self, cube: Cube, dim: str, **kwargs: Any) -> None:
        super().__init__(cube.queryset, cube.date_field, dim, **kwargs)
        self.cube, self.index = cube, 1 + cube.dims.index(dim)

    def _rows(self, period: Period) -> list[tuple]:
        return [(r[0], r[self.index], r[-1]) for r in self.cube.rows(period)]


class MedianDays(Computation):
    """Median of (end_field − start_field) in days, per month of `date_field`.

    Computed in the database with window functions (ROW_NUMBER and COUNT over
    each month, keeping the one or two middle rows), so at most two rows per
    month reach Python; works on SQLite and PostgreSQL alike.
    """

    kind = "median"

    def __init__(self, queryset, date_field: str, start_field: str, end_field: str) -> None:
        self.queryset, self.date_field = queryset, date_field
        self.start_field, self.end_field = start_field, end_field

    def _middle(
        self, qs: models.QuerySet, partition: list | None
    ) -> list[tuple[Any, dt.timedelta]]:
        duration = DaysBetween(self.start_field, self.end_field)
        qs = (
            qs.exclude(**{f"{self.end_field}__isnull": True})
            .exclude(**{f"{self.start_field}__isnull": True})
            .annotate(_m=_month(self.date_field), _d=duration)
            .annotate(
                _rn=Window(RowNumber(), partition_by=partition, order_by=[F("_d").asc(), "pk"]),
                _n=Window(models.Count("pk"), partition_by=partition),
            )
            .filter(_rn__gte=(F("_n") + 1) / 2, _rn__lte=F("_n") / 2 + 1)
            .order_by()
        )
        return list(qs.values_list("_m", "_d"))

    @staticmethod
    def _median(days: list[float]) -> float | None:
        if not days:
            return None
        return round(sum(days) / len(days), 1)

    def __call__(self, period: Period) -> Result:
        qs = _in_period(_qs(self.queryset), self.date_field, period)
        grouped: dict[str, list[float]] = {m: [] for m in period.months}
        for m, d in self._middle(qs, [_month(self.date_field)]):
            grouped[month_key(m)].append(d)
        total = [d for _, d in self._middle(qs, None)]
        return Result({m: self._median(v) for m, v in grouped.items()}, self._median(total))


@dataclass
class Figure:
    key: str
    label: str
    section: str
    compute: Computation
    order: int = 100
    unit: str = ""
    help: str = ""
    # Display names for a breakdown's keys (the JSON keeps the keys).
    key_labels: dict[str, str] = field(default_factory=dict)
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        self.kind = self.compute.kind


_figures: dict[str, Figure] = {}


def register(
    key: str,
    label: str,
    *,
    section: str,
    compute: Computation,
    order: int = 100,
    unit: str = "",
    help: str = "",
    key_labels: dict[str, str] | None = None,
) -> Figure:
    """Add (or replace, by key) one figure. `key` is its name in `vigil stats --json`."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
        raise ValueError(f"figure key {key!r}: lower-case letters, digits and _ only")
    if key == "month":
        raise ValueError("'month' is reserved")
    figure = Figure(
        key,
        label,
        section,
        compute,
        order=order,
        unit=unit,
        help=help,
        key_labels={str(k): str(v) for k, v in (key_labels or {}).items()},
    )
    _figures[key] = figure
    return figure


def unregister(key: str) -> None:
    _figures.pop(key, None)


def figures(keys: Iterable[str] | None = None) -> list[Figure]:
    """Registered figures in display order (optionally only `keys`)."""
    chosen = list(_figures.values())
    if keys is not None:
        wanted = set(keys)
        chosen = [f for f in chosen if f.key in wanted]
    return sorted(chosen, key=lambda f: (f.order, f.key))


def sections() -> list[str]:
    out: list[str] = []
    for f in figures():
        if f.section not in out:
            out.append(f.section)
    return out


@dataclass
class Report:
    period: Period
    figures: list[Figure]
    results: dict[str, Result]

    def as_json(self) -> dict[str, Any]:
        """The `vigil stats --json` shape: {"months": [{"month": …, <key>: …}], "totals": {…}}."""
        months = []
        for m in self.period.months:
            row: dict[str, Any] = {"month": m}
            for f in self.figures:
                row[f.key] = self.results[f.key].by_month[m]
            months.append(row)
        return {
            "months": months,
            "totals": {f.key: self.results[f.key].total for f in self.figures},
        }


def compute(period: Period, *, keys: Iterable[str] | None = None) -> Report:
    chosen = figures(keys)
    token = _run.set(object())
    try:
        return Report(period, chosen, {f.key: f.compute(period) for f in chosen})
    finally:
        _run.reset(token)
