"""Bulk import benchmark: Vigil's import against the floor, in one run, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py                          # SQLite, 20,000 rows
    .venv/bin/python bench/bench_import.py --rows 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/vigil_intake_bench \\
        --ips 1000000 --store 10000000                              # the issue's sizes

Every part runs in its own child process (its peak RSS, ru_maxrss, is its own)
on a fresh database: a new SQLite file, then, with --database-url, the
PostgreSQL database dropped and created again.

- csv: the floor parses the CSV (csv module) and inserts the same tips and
  their three selectors each into plain tables with an index on (type, value),
  in one transaction (SQLite: executemany; PostgreSQL: COPY), no normalisation,
  flags or audit; best of three runs. The schema floor: the same rows plainly
  into Vigil's own tips and selectors tables (their indexes, constraints and
  foreign keys; on SQLite the columns every row shares as literals, as Vigil
  writes them), rolled back. Then Vigil imports the same file
  (`import_file`, what `vigil import_tips` runs) and the re-import, which must
  create nothing. Printed: both times (wall and this process's CPU), rows/s,
  the ratio Vigil / floor and Vigil / schema floor, peak RSS.
- --web: the same CSV through the import page's path on a fresh database: the
  upload sealed and its job recorded, then the job run as the worker runs it
  (decrypting as it reads, progress and a checkpoint each batch).
- --ips N: an N-line IP list (peak RSS must stay bounded: batches).
- --store N: a store of N selectors built set-based (vigil bench/_store.py),
  then --store-tips new tips (default 100,000) imported and flagged against it.

Data is synthetic: 10.x IPs (on the warning list: one notice per tip),
example.com / example.org e-mails, +1 NXX 555 phone numbers; --shared (default
5 %) of the values are held by two tips each (the phones of 15 % of the rows),
and in the store run 5 % of the new tips share an e-mail with a store tip.
On a shared machine quote the CPU ratio: the server's CPU (PostgreSQL) is in
neither figure, the wall ratio includes it.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import backend_cpu, django_setup, setup_database  # noqa: E402  (bench/ is on sys.path when run)

_AREAS = ("202 212 213 312 415 617 718 305 404 503 206 303 512 614 702 801").split()


def _ip(i: int) -> str:
    # Unique per row; 10.x addresses keep the data obviously synthetic and flag-free.
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def _phone(k: int) -> str:
    return f"+1 {_AREAS[(k // 10000) % len(_AREAS)]} 555 {k % 10000:04d}"


def write_csv(path: Path, rows: int, *, shared: float = 0.05, store_tips: int = 0) -> None:
    """`rows` tips; `shared` of the 3 × rows values sit on two tips (phones of some rows)."""
    per_20 = round(shared * 3 * 20)  # rows in 20 whose phone is a shared one
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("reference,received_at,narrative,ip_address,email,phone\n")
        for i in range(rows):
            block, pos = divmod(i, 20)
            if pos < per_20:
                phone = _phone(rows + (block * per_20 + pos) // 2)
            else:
                phone = _phone(i)
            email = f"user{i}@example.com"
            if store_tips and pos == 19:  # 5 %: an e-mail a store tip holds
                email = f"store{(i * 7919) % store_tips + 1}@example.org"
            fh.write(
                f"BENCH-{i},2024-03-01T10:{i % 60:02d}:00Z,Synthetic benchmark tip number {i} about a chat,"
                f"{_ip(i)}|2024-03-01T10:22:00Z,{email},{phone}\n"
            )


def write_iplist(path: Path, lines: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(lines):
            fh.write(f"{_ip(i)},2024-03-01T10:22:00Z\n" if i % 2 else f"{_ip(i)}\n")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now() -> str:
    """This process's resident memory now, anonymous (its own objects) apart from file
    pages (SQLite's memory-mapped database: the kernel reclaims them under pressure)."""
    try:
        status = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        anon, file = (int(status[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile"))
    except (OSError, KeyError, ValueError):
        return ""
    return f" (now {anon:.0f} MB anonymous + {file:.0f} MB file pages)"


def _django_backend() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def _parse(csv_path: Path) -> tuple[list, list]:
    tips, selectors = [], []
    with open(csv_path, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), 1):
            tips.append((i, 1, row["reference"], row["received_at"], row["narrative"]))
            ip = row["ip_address"].split("|", 1)[0]
            selectors.append((i, "ip", ip, ip))
            selectors.append((i, "email", row["email"], row["email"].lower()))
            selectors.append((i, "phone", row["phone"], row["phone"].replace(" ", "")))
    return tips, selectors


_FLOOR_DDL = (
    "CREATE TABLE {p}tip (id INTEGER PRIMARY KEY, source_id INTEGER, reference TEXT,"
    " received_at TEXT, narrative TEXT, UNIQUE (source_id, reference));"
    "CREATE TABLE {p}selector (id {serial} PRIMARY KEY, tip_id INTEGER REFERENCES {p}tip(id),"
    " type TEXT, raw TEXT, value TEXT);"
    "CREATE INDEX {p}selector_type_value ON {p}selector (type, value);"
)


def floor_sqlite(csv_path: Path, db_path: Path) -> tuple[int, int, float, float]:
    """Parse `csv_path` and insert its tips and selectors into plain SQLite tables."""
    start, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db_path)
    conn.executescript(_FLOOR_DDL.format(p="", serial="INTEGER"))
    tips, selectors = _parse(csv_path)
    with conn:
        conn.executemany("INSERT INTO tip VALUES (?, ?, ?, ?, ?)", tips)
        conn.executemany(
            "INSERT INTO selector (tip_id, type, raw, value) VALUES (?, ?, ?, ?)", selectors
        )
    conn.close()
    return len(tips), len(selectors), time.perf_counter() - start, time.process_time() - cpu


def floor_postgres(csv_path: Path, url: str, run: int) -> tuple[int, int, float, float]:
    """The same rows COPYed into plain PostgreSQL tables (prefixed, dropped after)."""
    import psycopg

    p = f"bench_floor{run}_"
    start, cpu = time.perf_counter(), time.process_time()
    with psycopg.connect(url) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        server = backend_cpu(pid)
        conn.execute(_FLOOR_DDL.format(p=p, serial="BIGSERIAL"))
        tips, selectors = _parse(csv_path)
        with conn.cursor() as cur:
            with cur.copy(f"COPY {p}tip FROM STDIN") as copy:
                for row in tips:
                    copy.write_row(row)
            with cur.copy(f"COPY {p}selector (tip_id, type, raw, value) FROM STDIN") as copy:
                for row in selectors:
                    copy.write_row(row)
        conn.commit()
        server = backend_cpu(pid) - server
    took, cpu = time.perf_counter() - start, time.process_time() - cpu + server
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {p}selector, {p}tip")
    return len(tips), len(selectors), took, cpu


def floor(csv_path: Path, url: str, data_dir: Path, tag: str) -> tuple[float, float]:
    # The floor takes well under a second: on a shared machine one run is noise, so
    # it runs three times (a fresh table each) and the best wall and CPU count.
    if url.startswith("postgres"):
        runs = [floor_postgres(csv_path, url, i) for i in range(3)]
        how = "csv + plain PostgreSQL COPY; CPU: client + server backend"
    else:
        runs = [floor_sqlite(csv_path, data_dir / f"floor{i}.sqlite3") for i in range(3)]
        how = "csv + plain SQLite executemany"
    n_tips, n_sel = runs[0][:2]
    took, cpu = min(r[2] for r in runs), min(r[3] for r in runs)
    print(
        f"[{tag}] floor ({how}, one transaction; best of 3): {n_tips:,} tips, {n_sel:,} selectors "
        f"in {took:.2f} s (CPU {cpu:.2f} s; runs {', '.join(f'{r[3]:.2f}' for r in runs)}) "
        f"-> {n_tips / took:,.0f} rows/s; peak RSS {_peak_mb():.0f} MB",
        flush=True,
    )
    return took, cpu


def _literals(sql: str, rows: list[tuple]) -> tuple[str, list[tuple]]:
    """`sql` with each column that holds one value on every row written as a literal, and
    the rows of the other columns (the values here are None, numbers, plain strings)."""
    columns = list(zip(*rows, strict=True))
    same = [len(set(c)) == 1 and not isinstance(c[0], bytes) for c in columns]
    marks = [
        ("NULL" if c[0] is None else repr(c[0]) if isinstance(c[0], int) else f"'{c[0]}'")
        if one
        else "%s"
        for c, one in zip(columns, same, strict=True)
    ]
    head = sql.split(" VALUES ", 1)[0]
    kept = [c for c, one in zip(columns, same, strict=True) if not one]
    return f"{head} VALUES ({', '.join(marks)})", list(zip(*kept, strict=True))


def schema_floor(
    csv_path: Path, source_id: int, user_id: int, tag: str, floor_s
) -> tuple[float, float]:
    """The same parsed rows inserted plainly into Vigil's own tips and selectors tables
    (every index, constraint and foreign key of the schema), in one transaction that is
    rolled back: what the schema itself costs, without any of Vigil's per-row work."""
    import datetime as dt

    from django.db import connection, transaction

    tips, selectors = _parse(csv_path)
    now = dt.datetime.now(dt.UTC)
    base = 10_000_000  # ids far from the import's
    tip_rows = [
        (base + i, ref, when, "bulk", text, "", "new", "", 3, "", "{}", now, now, None, user_id)
        + (source_id, None)
        for i, _src, ref, when, text in tips
    ]
    sel_rows = [
        (base + n, t, value, raw, None, "", False, True, None, None, "{}", now, base + i)
        for n, (i, t, raw, value) in enumerate(selectors)
    ]
    tip_sql = (
        "INSERT INTO tips_tip (id, source_reference, received_at, received_via, narrative, "
        "country, status, status_reason, priority, source_warning, attributes, created_at, "
        "updated_at, assigned_to_id, created_by_id, source_id, import_job_id) VALUES ("
        + ", ".join(["%s"] * 17)
        + ")"
    )
    sel_sql = (
        "INSERT INTO tips_selector (id, type, value, raw, encrypted, masked, extracted, "
        "confirmed, observed_at, port, details, created_at, tip_id) VALUES ("
        + ", ".join(["%s"] * 13)
        + ")"
    )
    pid = _django_backend()
    server = backend_cpu(pid)
    start, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table, sql, rows in (
                ("tips_tip", tip_sql, tip_rows),
                ("tips_selector", sel_sql, sel_rows),
            ):
                names = sql.split("(", 1)[1].split(")", 1)[0]
                with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            # SQLite: the columns every row shares written into the statement once, as
            # Vigil's own inserts do (bulk._sqlite_values): binding them is not the schema.
            cur.executemany(*_literals(tip_sql, tip_rows))
            cur.executemany(*_literals(sel_sql, sel_rows))
        if pid:  # the deferred foreign-key checks, which a commit would run (SQLite's run per row)
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        transaction.set_rollback(True)
    cpu += backend_cpu(pid) - server
    if pid:
        # The rolled-back rows are dead tuples under the same keys the import writes next:
        # every unique check and probe would step over them (a third more server time).
        with connection.cursor() as cur:
            cur.execute("VACUUM tips_tip, tips_selector")
    print(
        f"[{tag}] schema floor (the same rows, plain INSERT/COPY into Vigil's tips and "
        f"selectors tables with their indexes and foreign keys, rolled back): {took:.2f} s "
        f"(CPU {cpu:.2f} s) = {took / floor_s[0]:.1f}x wall, {cpu / floor_s[1]:.1f}x CPU the floor",
        flush=True,
    )
    return took, cpu


def prepare() -> tuple:
    from django.core.management import call_command

    from vigil.accounts.models import Role
    from vigil.testing.personas import make_user
    from vigil.tips.models import Source

    call_command("migrate", verbosity=0)
    user = make_user("bench_manager", Role.MANAGER)
    source = Source.objects.create(name="Bench source", kind="other", country="US")
    return user, source


def disconnect_listeners() -> None:
    from vigil.tips.signals import selectors_added, selectors_added_bulk, selectors_removed

    for signal in (selectors_added, selectors_added_bulk, selectors_removed):
        signal.receivers.clear()
        signal.sender_receivers_cache.clear()


def _import(
    path: Path,
    user,
    source,
    tag: str,
    what: str,
    floor_s: tuple[float, float] | None,
    schema_s: tuple[float, float] | None = None,
):
    from vigil.tips.importing import import_file

    pid = _django_backend()
    server = backend_cpu(pid)
    start, cpu = time.perf_counter(), time.process_time()
    s = import_file(path, actor=user, source=source, note="Benchmark list")
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    if pid:
        assert _django_backend() == pid, "the import changed database connection"
        server = backend_cpu(pid) - server
    how = f"CPU {cpu + server:.2f} s" + (f" = {cpu:.2f} s + server {server:.2f} s" if pid else "")
    cpu += server
    print(
        f"[{tag}] vigil {what}: {s.rows_read:,} rows, {s.tips_created:,} tips, {s.selectors:,} selectors, "
        f"{s.rejected_count} rejected, {s.flags:,} flags in {took:.1f} s -> {s.rows_read / took:,.0f} rows/s "
        f"({how}); peak RSS {_peak_mb():.0f} MB{_rss_now()}",
        flush=True,
    )
    if floor_s:
        print(
            f"[{tag}] ratio vigil / floor ({what}): {took / floor_s[0]:.1f}x wall, "
            f"{cpu / floor_s[1]:.1f}x CPU",
            flush=True,
        )
    if schema_s:
        # What Vigil's own per-row work costs over its schema's plain inserts.
        print(
            f"[{tag}] ratio vigil / schema floor ({what}): {took / schema_s[0]:.1f}x wall, "
            f"{cpu / schema_s[1]:.1f}x CPU",
            flush=True,
        )
    return s, took


def child(args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    url = setup_database(None if args.db == "sqlite" else args.db, data_dir)
    django_setup(url, data_dir, migrate=False)
    from django.db import connection

    from vigil.tips.models import Selector, Tip

    user, source = prepare()
    if args.without_deconfliction:
        disconnect_listeners()
    tag = connection.vendor
    if args.part == "csv":
        path = data_dir / "tips.csv"
        write_csv(path, args.rows, shared=args.shared)
        print(
            f"[{tag}] deconfliction listeners {'off' if args.without_deconfliction else 'on'}; "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        base = floor(path, url, data_dir, tag)
        schema = schema_floor(path, source.pk, user.pk, tag, base)
        s, _ = _import(path, user, source, tag, "csv", base, schema)
        assert Tip.objects.count() == args.rows and Selector.objects.count() == s.selectors
        start, cpu = time.perf_counter(), time.process_time()
        s2 = _import_quiet(path, user, source)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert s2.tips_created == 0 and Tip.objects.count() == args.rows
        print(
            f"[{tag}] csv re-import: {s2.tips_unchanged:,} unchanged, nothing created, in {took:.1f} s "
            f"(CPU {cpu:.2f} s) -> {s2.rows_read / took:,.0f} rows/s",
            flush=True,
        )
    elif args.part == "web":
        path = data_dir / "tips.csv"
        write_csv(path, args.rows, shared=args.shared)
        base = floor(path, url, data_dir, tag)
        _web_import(path, user, source, tag, base)
    elif args.part == "ips":
        path = data_dir / "ips.txt"
        write_iplist(path, args.ips)
        _import(path, user, source, tag, f"ip list ({args.ips:,} lines)", None)
    elif args.part == "store":
        from _store import build_store

        n_tips, n_sel, took = build_store(args.store, source=source, actor=user)
        print(
            f"[{tag}] store: {n_sel:,} selectors on {n_tips:,} tips built set-based in {took:.0f} s",
            flush=True,
        )
        path = data_dir / "new.csv"
        write_csv(path, args.store_tips, shared=args.shared, store_tips=n_tips)
        base = floor(path, url, data_dir, tag)
        _import(path, user, source, tag, f"csv against the store of {n_sel:,}", base)
    if connection.vendor == "sqlite":
        connection.close()
        for p in data_dir.glob("*.sqlite3*"):
            p.unlink()


def _web_import(path: Path, user, source, tag: str, floor_s: tuple[float, float]) -> None:
    """The import page's path: the upload sealed and its job recorded (do_queue_import),
    the job run at the commit as the worker runs it (the bench's task backend runs
    tasks at once: decrypting as it reads, progress and a checkpoint a batch)."""
    from django.core.files import File

    from vigil.lib import crypto
    from vigil.tips.actions import do_queue_import
    from vigil.tips.models import ImportJob

    with open(path, "rb") as fh:  # sealing alone, for the figure beside the whole
        start = time.perf_counter()
        crypto.seal_file(fh, path.with_suffix(".sealed"))
        sealing = time.perf_counter() - start
    path.with_suffix(".sealed").unlink()
    pid = _django_backend()
    server = backend_cpu(pid)
    start, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as fh:
        job = do_queue_import(File(fh, name=path.name), actor=user, fmt="csv", source=source)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    if pid:
        server = backend_cpu(pid) - server
        cpu += server
    job = ImportJob.objects.get(pk=job.pk)
    s = job.summary
    assert job.status == ImportJob.Status.DONE and s["tips_created"] == s["rows_read"], s
    print(
        f"[{tag}] vigil web upload: {s['rows_read']:,} rows, {s['tips_created']:,} tips, "
        f"{s['flags']:,} flags in {took:.1f} s (sealing the upload {sealing:.2f} s of it) -> "
        f"{s['rows_read'] / took:,.0f} rows/s (CPU {cpu:.2f} s"
        + (f", server {server:.2f} s of it" if pid else "")
        + f"); peak RSS {_peak_mb():.0f} MB",
        flush=True,
    )
    print(
        f"[{tag}] ratio vigil web upload / floor: {took / floor_s[0]:.1f}x wall, "
        f"{cpu / floor_s[1]:.1f}x CPU",
        flush=True,
    )


def _import_quiet(path: Path, user, source):
    from vigil.tips.importing import import_file

    return import_file(path, actor=user, source=source)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--shared", type=float, default=0.05, help="share of values on two tips")
    parser.add_argument(
        "--web", action="store_true", help="the same CSV through the import page's path too"
    )
    parser.add_argument("--ips", type=int, default=0, help="IP-list lines (0: skip)")
    parser.add_argument("--store", type=int, default=0, help="store selectors (0: skip)")
    parser.add_argument("--store-tips", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL database (dropped and created) to run on after SQLite",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--without-deconfliction", action="store_true", help="disconnect selector listeners"
    )
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        child(args)
        return
    dbs = [] if args.no_sqlite else ["sqlite"]
    if args.database_url:
        dbs.append(args.database_url)
    parts = (
        ["csv"]
        + (["web"] if args.web else [])
        + (["ips"] if args.ips else [])
        + (["store"] if args.store else [])
    )
    passed = [a for a in sys.argv[1:] if a not in ("--no-sqlite",)]
    for db in dbs:
        for part in parts:
            subprocess.run(
                [sys.executable, __file__, *passed, "--db", db, "--part", part], check=True
            )


if __name__ == "__main__":
    main()
