"""The audit trail at scale: append rate, `verify_audit` walk rate, viewer query time.

    .venv/bin/python bench/bench_audit.py                      # 50k events, SQLite
    .venv/bin/python bench/bench_audit.py --events 1000000 --pg-url postgres://postgres@127.0.0.1:5432

1. Appends --events rows through `vigil.audit.log.record` (the path every action
   takes: chain lookup + hash + insert), in transactions of --batch rows, and
   prints events/s.
2. Walks the whole chain as `vigil verify_audit` does and prints events/s.
3. Times the viewer's first page for a user filter and for an action prefix.

Uses a fresh database (SQLite file in a temp dir, or `vigil_bench_audit` on the
PostgreSQL server, dropped and created). Nothing here runs in `make test`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from _setup import REPO, django_setup  # noqa: E402  (bench/ is on sys.path when run)

sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--pg-url", help="postgres://user@host:port (database is created)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-bench-audit-")
    if args.pg_url:
        import psycopg

        with psycopg.connect(args.pg_url + "/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS vigil_bench_audit")
            conn.execute("CREATE DATABASE vigil_bench_audit")
        db_url = args.pg_url + "/vigil_bench_audit"
    else:
        db_url = f"sqlite:///{data_dir}/bench.sqlite3"
    django_setup(db_url, data_dir)

    from django.db import connection, transaction

    from vigil.audit.log import record
    from vigil.audit.models import AuditEvent
    from vigil.audit.verify import verify_chain
    from vigil.core import request_context
    from vigil.testing.personas import make_user

    users = [make_user(f"user{i}", "investigator") for i in range(20)]
    actions = ["tip.view", "tip.update", "login", "logout", "series.update", "audit.export"]

    start = time.perf_counter()
    done = 0
    with request_context.bind(via="cli"):
        while done < args.events:
            n = min(args.batch, args.events - done)
            with transaction.atomic():
                for i in range(n):
                    k = done + i
                    record(
                        actions[k % len(actions)],
                        actor=users[k % len(users)],
                        object_type="tips.tip",
                        object_id=k % 5000,
                        changes={"status": {"before": "new", "after": "triaged"}}
                        if k % 3 == 0
                        else None,
                        summary=f"event {k}",
                    )
            done += n
    append_s = time.perf_counter() - start

    start = time.perf_counter()
    report = verify_chain()
    verify_s = time.perf_counter() - start
    count = report.checked
    assert report.intact and count == args.events, report.problems[:3]

    # One event per transaction, as a web request writes it: the chain head
    # outside the database is moved (locked, written, fsynced) after each commit.
    single = 200
    start = time.perf_counter()
    with request_context.bind(via="cli"):
        for i in range(single):
            record("tip.view", actor=users[0], object_type="tips.tip", object_id=i)
    single_ms = (time.perf_counter() - start) / single * 1000

    def first_page(**filters):
        t = time.perf_counter()
        list(AuditEvent.objects.filter(**filters)[:100])
        return (time.perf_counter() - t) * 1000

    user_ms = first_page(actor_username="user7")
    action_ms = first_page(action__startswith="tip.")

    print(f"database: {connection.vendor}, events: {args.events}")
    print(f"append (record()): {args.events / append_s:,.0f} events/s ({append_s:.1f} s)")
    print(f"verify_audit walk: {count / verify_s:,.0f} events/s ({verify_s:.1f} s)")
    print(f"one event per transaction (head moved each time): {single_ms:.1f} ms per event")
    print(f"viewer first page, user filter: {user_ms:.1f} ms; action prefix: {action_ms:.1f} ms")


if __name__ == "__main__":
    main()
