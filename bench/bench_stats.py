"""Statistics on a large store: `vigil stats` for ten months over N tips.

    .venv/bin/python bench/bench_stats.py                       # 1,000,000 tips, SQLite
    .venv/bin/python bench/bench_stats.py --pg-url postgres://postgres@127.0.0.1:5432

Generates the store with set-based INSERT … SELECT (a recursive CTE on SQLite,
generate_series on PostgreSQL): N tips spread evenly over 2026-01 … 2026-10
across 50 sources, one IP selector per tip, a flag per 10 tips (half decided).
Then times `registry.compute` for 2026-01 … 2026-10 (every figure: what
`vigil stats --json` and the statistics page run) --repeat times and prints
the best and the median wall time, and each figure's share.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time

from _setup import REPO, django_setup  # noqa: E402  (bench/ is on sys.path when run)

sys.path.insert(0, str(REPO))

START = 1767225600  # 2026-01-01T00:00:00Z
SPAN = 304 * 86400  # to 2026-10-31


def _generate(n: int) -> None:
    from django.db import connection, transaction

    from vigil.tips.models import Source

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
    statuses = "CASE i % 5 WHEN 0 THEN 'new' WHEN 1 THEN 'in_review' WHEN 2 THEN 'actionable' WHEN 3 THEN 'not_actionable' ELSE 'unfounded' END"
    with transaction.atomic(), connection.cursor() as c:
        c.execute(
            prefix + "INSERT INTO tips_tip (source_id, source_reference, received_at, received_via,"
            " narrative, country, status, status_reason, priority, source_warning, attributes,"
            " created_at, updated_at) "
            f"SELECT {first} + i % 50, 'R-' || i, {when}, 'bulk', '', '', {statuses}, '',"
            f" 1 + i % 5, '', '{{}}', {when}, {when} FROM {series}"
        )
        c.execute(
            "INSERT INTO tips_selector (tip_id, type, value, raw, masked, extracted, confirmed,"
            " details, created_at) SELECT id, 'ip', '10.' || (id % 250) || '.' || (id / 250 % 250)"
            " || '.' || (id % 7), '', '', false, true, '{}', created_at FROM tips_tip"
        )
        decided = (
            "CASE WHEN t.id % 20 = 0 THEN "
            + ("t.received_at + interval '3 days'" if pg else "datetime(t.received_at, '+3 days')")
            + " END"
        )
        c.execute(
            "INSERT INTO deconfliction_flag (tip_a_id, tip_b_id, type, value, value_b, label,"
            " match_reason, status, decided_at, decision_note, created_at)"
            " SELECT t.id, t.id + 1, 'ip', 'v' || t.id, '', '', '',"
            " CASE WHEN t.id % 20 = 0 THEN 'linked' ELSE 'open' END,"
            f" {decided}, '', t.received_at FROM tips_tip t WHERE t.id % 10 = 0"
            " AND t.id < (SELECT max(id) FROM tips_tip)"
        )
    if pg:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    else:
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
    walls = []
    shares: dict[str, float] = {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        report = registry.compute(period)
        walls.append(time.perf_counter() - start)
    for f in registry.figures():
        start = time.perf_counter()
        f.compute(period)
        shares[f.key] = time.perf_counter() - start
    total = report.as_json()["totals"]
    print(
        f"tips counted: {total['tips_received']:,}; IP addresses: {total['ip_addresses_received']:,}"
    )
    print(
        f"all {len(report.figures)} figures, 10 months: best {min(walls):.2f} s, "
        f"median {statistics.median(walls):.2f} s over {args.repeat} runs"
    )
    print(
        "slowest figures, each computed alone (inside one run the five tip figures share one query):"
    )
    for key, seconds in sorted(shares.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {key:32} {seconds:.2f} s")


if __name__ == "__main__":
    main()
