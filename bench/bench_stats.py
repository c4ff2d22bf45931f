"""Statistics on a large store: `vigil stats` for ten months over N tips.

    .venv/bin/python bench/bench_stats.py                       # 1,000,000 tips, SQLite
    .venv/bin/python bench/bench_stats.py --pg-url postgres://postgres@127.0.0.1:5432

Generates the store with set-based INSERT … SELECT (a recursive CTE on SQLite,
generate_series on PostgreSQL): N tips spread evenly over 2026-01 … 2026-10
across 50 sources, one IP selector per tip, a flag per 10 tips (half decided).
Then times `registry.compute` for 2026-01 … 2026-10 (every figure: what
`vigil stats --json` and the statistics page run) --repeat times and prints
the best and the median wall time, the CPU seconds (this process, plus the
PostgreSQL backend's read from /proc: the server is local; parallel workers are
turned off so the backend's CPU is all of it), each figure's share, and the
ratio to a floor measured in the same run: one raw GROUP BY month over the
tips of the period — the least any monthly tally must do.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from _setup import REPO, backend_cpu, django_setup  # noqa: E402  (bench/ is on sys.path when run)

sys.path.insert(0, str(REPO))

START = 1767225600  # 2026-01-01T00:00:00Z
SPAN = 304 * 86400  # to 2026-10-31


def _insert(c, model, given: dict[str, str], source: str, *, prefix: str = "") -> None:
    """INSERT INTO model's table (given columns, every other NOT NULL column at its
    default as a literal) SELECT … FROM source: the schema may gain columns."""
    import json

    from django.db import connection

    pg = connection.vendor == "postgresql"
    cols = dict(given)
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in cols or f.null:
            continue
        value = f.get_default()
        if isinstance(value, bool):
            cols[f.column] = ("true" if value else "false") if pg else str(int(value))
        elif isinstance(value, int | float):
            cols[f.column] = str(value)
        elif isinstance(value, dict | list):
            cols[f.column] = "'" + json.dumps(value) + "'"
        else:
            cols[f.column] = "'" + str(value or "").replace("'", "''") + "'"
    c.execute(
        f"{prefix}INSERT INTO {model._meta.db_table} ({', '.join(cols)}) "
        f"SELECT {', '.join(cols.values())} FROM {source}"
    )


def _generate(n: int) -> None:
    from django.db import connection, transaction

    from vigil.deconfliction.models import Flag
    from vigil.tips.models import Selector, Source, Tip

    sources = Source.objects.bulk_create(
        [Source(name=f"Source {i:02d}", kind=list(Source.Kind)[i % 9]) for i in range(50)]
    )
    first = min(s.pk for s in sources)
    step = SPAN / n
    pg = connection.vendor == "postgresql"
    if pg:
        series = f"generate_series(0, {n - 1}) AS g(i)"
        when = f"to_timestamp({START} + floor(i * {step}))"
        prefix = ""
    else:
        series = "n"
        when = f"strftime('%Y-%m-%d %H:%M:%S', {START} + CAST(i * {step} AS INTEGER), 'unixepoch')"
        prefix = (
            f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n - 1}) "
        )
    statuses = (
        "CASE i % 5 WHEN 0 THEN 'new' WHEN 1 THEN 'in_review' WHEN 2 THEN 'actionable'"
        " WHEN 3 THEN 'not_actionable' ELSE 'unfounded' END"
    )
    decided = (
        "CASE WHEN t.id % 20 = 0 THEN "
        + ("t.received_at + interval '3 days'" if pg else "datetime(t.received_at, '+3 days')")
        + " END"
    )
    with transaction.atomic(), connection.cursor() as c:
        tip = {
            "source_id": f"{first} + i % 50",
            "source_reference": "'R-' || i",
            "received_at": when,
            "received_via": "'bulk'",
            "status": statuses,
            "priority": "1 + i % 5",
            "created_at": when,
            "updated_at": when,
        }
        _insert(c, Tip, tip, series, prefix=prefix)
        ip = "'10.' || (id % 250) || '.' || (id / 250 % 250) || '.' || (id % 7)"
        selector = {"tip_id": "id", "type": "'ip'", "value": ip, "created_at": "created_at"}
        _insert(c, Selector, selector, "tips_tip")
        flag = {
            "tip_a_id": "t.id",
            "tip_b_id": "t.id + 1",
            "type": "'ip'",
            "value": "'v' || t.id",
            "status": "CASE WHEN t.id % 20 = 0 THEN 'linked' ELSE 'open' END",
            "decided_at": decided,
            "created_at": "t.received_at",
        }
        _insert(
            c,
            Flag,
            flag,
            "tips_tip t WHERE t.id % 10 = 0 AND t.id < (SELECT max(id) FROM tips_tip)",
        )
    with connection.cursor() as c:
        c.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tips", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-url", help="postgres://user@host:port (database is created)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-bench-stats-")
    if args.pg_url:
        import psycopg

        with psycopg.connect(args.pg_url + "/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS vigil_bench_stats")
            conn.execute("CREATE DATABASE vigil_bench_stats")
        db_url = args.pg_url + "/vigil_bench_stats"
    else:
        db_url = f"sqlite:///{data_dir}/bench.sqlite3"
    django_setup(db_url, data_dir)

    from django.db import connection

    from vigil.stats import registry

    t0 = time.perf_counter()
    _generate(args.tips)
    print(
        f"generated {args.tips:,} tips on {connection.vendor} in {time.perf_counter() - t0:.1f} s"
    )

    period = registry.Period.parse("2026-01", "2026-10")
    pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SET max_parallel_workers_per_gather = 0")
            c.execute("SELECT pg_backend_pid()")
            pid = c.fetchone()[0]

    def timed(fn) -> tuple[float, float]:
        wall, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(pid)
        fn()
        return (
            time.perf_counter() - wall,
            time.process_time() - cpu + backend_cpu(pid) - server,
        )

    month = registry.UTCMonth("received_at")

    def floor() -> None:
        from vigil.tips.models import Tip

        qs = Tip.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
        list(qs.annotate(_m=month).order_by().values("_m").annotate(n=Count("pk")))

    from django.db.models import Count

    runs, floors = [], []
    for _ in range(args.repeat):
        floors.append(timed(floor))
        box: list = []
        runs.append(timed(lambda box=box: box.append(registry.compute(period))))
        report = box[0]
    shares: dict[str, float] = {}
    for f in registry.figures():
        shares[f.key] = timed(lambda f=f: f.compute(period))[1]
    total = report.as_json()["totals"]
    print(
        f"tips counted: {total['tips_received']:,}; IP addresses: {total['ip_addresses_received']:,}"
    )
    wall = statistics.median(w for w, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    floor_cpu = statistics.median(c for _, c in floors)
    print(
        f"all {len(report.figures)} figures, 10 months, median of {args.repeat} runs: "
        f"{cpu:.2f} s CPU ({wall:.2f} s wall; best {min(w for w, _ in runs):.2f} s wall)"
    )
    print(
        f"floor (one GROUP BY month over the tips): {floor_cpu:.2f} s CPU "
        f"({statistics.median(w for w, _ in floors):.2f} s wall); "
        f"ratio {cpu / floor_cpu if floor_cpu else float('nan'):.1f}x in CPU"
    )
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        "slowest figures, CPU seconds each computed alone (inside one run the tip figures "
        "share one query):"
    )
    for key, seconds in sorted(shares.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {key:32} {seconds:.2f} s")


if __name__ == "__main__":
    main()
