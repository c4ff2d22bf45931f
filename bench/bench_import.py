"""Bulk import benchmark: Vigil's CSV import against the floor, in one run; IP-list memory.

    .venv/bin/python bench/bench_import.py                       # SQLite (temporary file)
    .venv/bin/python bench/bench_import.py --rows 100000 --ips 1000000   # the issue's sizes
    .venv/bin/python bench/bench_import.py --database-url postgres://postgres@127.0.0.1:5432/vigil_bench_import

The floor: parse the same CSV (csv module) and insert the same tips and their
three selectors each into plain SQLite tables (an index on (type, value)) with
executemany in one transaction; no normalisation, no flags, no audit. Vigil's
import of the same file follows in the same process, and the script prints
both times, rows/s, the ratio Vigil / floor and peak memory (ru_maxrss after
each phase: the floor runs first, so its figure is its own).

Each run starts from an empty database (a fresh SQLite file, or the PostgreSQL
database dropped and re-created). Data is synthetic: 198.51.100.0/24-style
documentation IPs spread over private test ranges, example.com e-mails, +1 202 555
phone numbers. The IP-list import runs in a child process so its peak RSS
(ru_maxrss) is its own.
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

from _setup import django_setup, setup_database  # noqa: E402  (bench/ is on sys.path when run)


def _ip(i: int) -> str:
    # Unique per row; 10.x addresses keep the data obviously synthetic and flag-free.
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("reference,received_at,narrative,ip_address,email,phone\n")
        for i in range(rows):
            fh.write(
                f"BENCH-{i},2024-03-01T10:{i % 60:02d}:00Z,Synthetic benchmark tip number {i} about a chat,"
                f"{_ip(i)}|2024-03-01T10:22:00Z,user{i}@example.com,+1 202 555 {i % 10000:04d}\n"
            )


def write_iplist(path: Path, lines: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(lines):
            fh.write(f"{_ip(i)},2024-03-01T10:22:00Z\n" if i % 2 else f"{_ip(i)}\n")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor(csv_path: Path, db_path: Path) -> tuple[int, int, float, float]:
    """Parse `csv_path` and insert its tips and selectors into plain SQLite tables."""
    start, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db_path)
    conn.executescript(
        "CREATE TABLE tip (id INTEGER PRIMARY KEY, source_id INTEGER, reference TEXT,"
        " received_at TEXT, narrative TEXT, UNIQUE (source_id, reference));"
        "CREATE TABLE selector (id INTEGER PRIMARY KEY, tip_id INTEGER REFERENCES tip(id),"
        " type TEXT, raw TEXT, value TEXT);"
        "CREATE INDEX selector_type_value ON selector (type, value);"
    )
    tips, selectors = [], []
    with open(csv_path, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), 1):
            tips.append((i, 1, row["reference"], row["received_at"], row["narrative"]))
            ip = row["ip_address"].split("|", 1)[0]
            selectors.append((i, "ip", ip, ip))
            selectors.append((i, "email", row["email"], row["email"].lower()))
            selectors.append((i, "phone", row["phone"], row["phone"].replace(" ", "")))
    with conn:
        conn.executemany("INSERT INTO tip VALUES (?, ?, ?, ?, ?)", tips)
        conn.executemany(
            "INSERT INTO selector (tip_id, type, raw, value) VALUES (?, ?, ?, ?)", selectors
        )
    conn.close()
    return len(tips), len(selectors), time.perf_counter() - start, time.process_time() - cpu


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


def child_iplist(args: argparse.Namespace) -> None:
    data_dir = Path(args.child_dir)
    django_setup(args.child_url, data_dir, migrate=False)
    from vigil.tips.importing import import_file
    from vigil.tips.models import Source

    if args.without_deconfliction:
        disconnect_listeners()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bench_manager")
    source = Source.objects.get(name="Bench source")
    start, cpu = time.perf_counter(), time.process_time()
    s = import_file(data_dir / "ips.txt", actor=user, source=source, note="Benchmark IP list")
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"ip list: {s.rows_read:,} lines, {s.tips_created:,} tips in {took:.1f} s "
        f"({s.rows_read / took:,.0f} lines/s, CPU {cpu:.0f} s); peak RSS {peak_mb:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--ips", type=int, default=0, help="IP-list lines (0: skip)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument(
        "--without-deconfliction", action="store_true", help="disconnect selector listeners"
    )
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    parser.add_argument("--child-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_url:
        child_iplist(args)
        return
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        data_dir = Path(tmp)
        url = setup_database(args.database_url, data_dir)
        django_setup(url, data_dir, migrate=False)
        from django.db import connection

        from vigil.tips.importing import import_file
        from vigil.tips.models import Selector, Tip

        user, source = prepare()
        if args.without_deconfliction:
            disconnect_listeners()
        csv_path = data_dir / "tips.csv"
        write_csv(csv_path, args.rows)
        print(
            f"database: {connection.vendor}; deconfliction listeners {'off' if args.without_deconfliction else 'on'}; "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
        # The floor takes well under a second: on a shared machine one run is noise, so
        # it runs three times (a fresh file each) and the best wall and CPU count.
        runs = [floor(csv_path, data_dir / f"floor{i}.sqlite3") for i in range(3)]
        n_tips, n_sel = runs[0][:2]
        floor_took, floor_cpu = min(r[2] for r in runs), min(r[3] for r in runs)
        print(
            f"floor (csv + plain SQLite executemany, one transaction; best of 3): {n_tips:,} tips, {n_sel:,} selectors "
            f"in {floor_took:.2f} s (CPU {floor_cpu:.2f} s; runs {', '.join(f'{r[3]:.2f}' for r in runs)}) "
            f"-> {n_tips / floor_took:,.0f} rows/s; peak RSS {_peak_mb():.0f} MB"
        )
        start, cpu = time.perf_counter(), time.process_time()
        s = import_file(csv_path, actor=user, source=source)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"vigil csv: {s.rows_read:,} rows, {s.tips_created:,} tips, {s.selectors:,} selectors, "
            f"{s.rejected_count} rejected, {s.flags} flags in {took:.1f} s -> {s.rows_read / took:,.0f} rows/s "
            f"(this process's CPU: {cpu:.1f} s); peak RSS {_peak_mb():.0f} MB"
        )
        print(
            f"ratio vigil / floor: {took / floor_took:.1f}x wall, {cpu / floor_cpu:.1f}x CPU "
            "(on a loaded machine the CPU ratio is the steadier figure)"
        )
        assert Tip.objects.count() == args.rows and Selector.objects.count() == s.selectors
        start = time.perf_counter()
        s2 = import_file(csv_path, actor=user, source=source)
        took = time.perf_counter() - start
        print(
            f"csv re-import: {s2.tips_unchanged:,} unchanged in {took:.1f} s -> {s2.rows_read / took:,.0f} rows/s"
        )
        if args.ips:
            write_iplist(data_dir / "ips.txt", args.ips)
            if connection.vendor == "postgresql":
                Tip.objects.all().delete()
            connection.close()
            cmd = [sys.executable, __file__, "--child-url", url, "--child-dir", str(data_dir)]
            if args.without_deconfliction:
                cmd.append("--without-deconfliction")
            subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
