"""The main pages over a large store: "pages answer in under 300 ms with 1,000,000 tips".

    .venv/bin/python bench/bench_pages.py                       # 1,000,000 tips, SQLite
    .venv/bin/python bench/bench_pages.py --pg-url postgres://postgres@127.0.0.1:5432

Fills the store set-based through vigil/core/bulk.py (`bulk.new` + `bulk.insert`, the
import's path, in batches): N tips over 50 sources, a quarter of them assigned across 20
investigators, each with an IP and an e-mail selector (an e-mail shared by 5 tips), a
flag per 50 tips, a served subpoena per 1,000 tips; then ANALYZE. Then requests each page
through Django's test client as a signed-in user (middleware, audit rows, templates: what
a request costs the app; no network, no gunicorn) --repeat times and prints the median and
the best wall time, the CPU time of this process (on SQLite the database's work is in it;
on PostgreSQL the server's is not) and the queries per request, against the 300 ms goal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time

from _setup import REPO, django_setup  # noqa: E402  (bench/ is on sys.path when run)

sys.path.insert(0, str(REPO))

GOAL_MS = 300
BATCH = 50_000
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _generate(n: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from vigil.core import bulk
    from vigil.deconfliction.models import Flag
    from vigil.lookups.models import Provider
    from vigil.subpoenas.models import Subpoena, SubpoenaIdentifier
    from vigil.testing.personas import make_user
    from vigil.tips.models import Selector, Source, Tip

    users = {
        "investigator": make_user("ivan", "investigator"),
        "reader": make_user("reader", "reader"),
        "manager": make_user("maria", "manager"),
    }
    team = [users["investigator"]] + [make_user(f"inv{i}", "investigator") for i in range(19)]
    sources = [Source.objects.create(name=f"Source {i:02d}", kind="ncmec") for i in range(50)]
    provider = Provider.objects.create(name="Example Cable")
    step = dt.timedelta(seconds=304 * 86400 / n)
    statuses = ["new", "in_review", "actionable", "new", "not_actionable"]
    first_id = None
    for start in range(0, n, BATCH):
        with transaction.atomic():
            tips = [
                bulk.new(
                    Tip,
                    source=sources[i % 50],
                    source_reference=f"R-{i}",
                    received_at=START + i * step,
                    received_via="bulk",
                    narrative=f"Report {i}: contact from 10.{i % 250}.{i // 250 % 250}.{i % 7}",
                    status=statuses[i // 3 % 5],  # not tied to the priority
                    priority=1 + i % 5,
                    assigned_to=team[i // 4 % 20] if i % 4 == 0 else None,
                )
                for i in range(start, min(n, start + BATCH))
            ]
            bulk.insert(tips)
            first_id = first_id or tips[0].pk
            selectors = []
            for i, t in enumerate(tips, start):
                ip = f"10.{i % 250}.{i // 250 % 250}.{i % 7}"
                selectors.append(bulk.new(Selector, tip_id=t.pk, type="ip", value=ip, raw=ip))
                mail = f"user{i // 5}@example.org"
                selectors.append(bulk.new(Selector, tip_id=t.pk, type="email", value=mail))
            bulk.insert(selectors)
            flags = [
                bulk.new(Flag, tip_a_id=t.pk, tip_b_id=t.pk + 1, type="email", value=f"v{t.pk}")
                for t in tips[:-1:50]
            ]
            bulk.insert(flags)
        print(f"  {min(n, start + BATCH):,} tips", end="\r", flush=True)
    print()
    with transaction.atomic():
        for k, pk in enumerate(range(first_id, first_id + n, 1000)):
            s = Subpoena.objects.create(
                tip_id=pk,
                provider=provider,
                categories=["name"],
                drafted_by=team[0],
                status="served",
                due_date=timezone.localdate() - dt.timedelta(days=k % 30 - 15),
            )
            SubpoenaIdentifier.objects.create(subpoena=s, type="email", value=f"user{k}@x.example")
    with connection.cursor() as c:
        c.execute("ANALYZE")
    sample = Tip.objects.filter(assigned_to=users["investigator"]).order_by("-id").first()
    return {"users": users, "tip": sample, "first": first_id}


def _time(client, url: str, repeat: int) -> tuple[list[float], list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, cpus = [], []
    status = queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            w0, c0 = time.perf_counter(), time.process_time()
            response = client.get(url)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        status, queries = response.status_code, len(ctx.captured_queries)
    return walls, cpus, status, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tips", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pg-url", help="postgres://user@host:port (database is created)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-bench-pages-")
    if args.pg_url:
        import psycopg

        with psycopg.connect(args.pg_url + "/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS vigil_workspace_bench_pages")
            conn.execute("CREATE DATABASE vigil_workspace_bench_pages")
        db_url = args.pg_url + "/vigil_workspace_bench_pages"
    else:
        db_url = f"sqlite:///{data_dir}/bench.sqlite3"
    django_setup(db_url, data_dir)

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    settings.REQUIRE_MFA = False
    settings.ALLOWED_HOSTS = ["testserver"]
    t0, c0 = time.perf_counter(), time.process_time()
    made = _generate(args.tips)
    print(
        f"generated {args.tips:,} tips ({2 * args.tips:,} selectors) on {connection.vendor} in"
        f" {time.perf_counter() - t0:.0f} s ({time.process_time() - c0:.0f} s CPU)"
    )
    tip, users = made["tip"], made["users"]
    ip = tip.selectors.get(type="ip").value
    mail = tip.selectors.get(type="email").value
    pages = [
        ("investigator", "queue (open, first page)", reverse("tips-queue") + "?status=open"),
        ("investigator", "queue, my tips", reverse("tips-queue") + "?status=open&assignee=me"),
        ("reader", "queue, page 200", reverse("tips-queue") + "?page=200"),
        ("investigator", "tip page", reverse("tips-detail", args=[tip.pk])),
        ("reader", "search box: an IP", reverse("search-results") + f"?q={ip}"),
        ("reader", "search box: an e-mail (5 tips)", reverse("search-results") + f"?q={mail}"),
        (
            "reader",
            "search box: a reference",
            reverse("search-results") + f"?q={tip.source_reference}",
        ),
        ("reader", "tips search: an e-mail", reverse("tips-search") + f"?q={mail}"),
        ("investigator", "dashboard", reverse("core-dashboard")),
        ("manager", "dashboard", reverse("core-dashboard")),
        ("reader", "dashboard", reverse("core-dashboard")),
    ]
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    print(
        f"{'page':40} {'as':13} {'median':>8} {'best':>8} {'CPU':>8} {'queries':>7}  goal {GOAL_MS} ms"
    )
    over = 0
    for role, label, url in pages:
        _time(clients[role], url, 1)  # warm: per-process caches, the page cache
        walls, cpus, status, queries = _time(clients[role], url, args.repeat)
        median = statistics.median(walls) * 1000
        over += median > GOAL_MS
        flag = "" if status == 200 else f"  HTTP {status}"
        print(
            f"{label:40} {role:13} {median:6.0f} ms {min(walls) * 1000:6.0f} ms"
            f" {statistics.median(cpus) * 1000:6.0f} ms {queries:7d}"
            f"  {'over' if median > GOAL_MS else 'ok'}{flag}"
        )
    print(f"{len(pages) - over} of {len(pages)} pages under {GOAL_MS} ms (median of {args.repeat})")


if __name__ == "__main__":
    main()
