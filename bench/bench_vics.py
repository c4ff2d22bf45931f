"""VICS import and export of N hash records (records/s, peak RSS), and optionally a
sync of N records between two local Vigil instances (records/s).

    .venv/bin/python bench/bench_vics.py                      # 1,000,000 records, SQLite
    .venv/bin/python bench/bench_vics.py --records 100000     # quicker
    .venv/bin/python bench/bench_vics.py --database-url postgres://postgres@127.0.0.1:5432/vigil_bench_vics
    .venv/bin/python bench/bench_vics.py --records 100000 --sync   # + two instances on 127.0.0.1

Records are synthetic: MD5/SHA-1/PDQ of counters, 50 series, flags as strings
(the quirks of real files). Import and export each run in a child process so
the peak RSS (ru_maxrss) is that step's own. Steps: import (new records), export
(VICS 2.0), import again (all unchanged), then the web path into a fresh database
(the upload sealed from its temporary file, then the background task
exchange.tasks.run_vics_import — `--no-web` skips it). `--sync`: instance A
imports the file, instance B pulls it all (`sync_partner --limit 2000`); the CPU
of both processes is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import django_setup, setup_database  # noqa: E402  (bench/ is on sys.path when run)

CONTEXT = "http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"


def write_vics(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('\ufeff{"@odata.context":' + json.dumps(CONTEXT) + ',"value":[\n')
        for i in range(n):
            s = f"bench-{i}".encode()
            rec = {
                "MediaID": 0,
                "Category": i % 4,
                "MD5": hashlib.md5(s).hexdigest().upper(),  # noqa: S324 - VICS keys on MD5
                "SHA1": hashlib.sha1(s).hexdigest(),  # noqa: S324
                "MediaSize": str(1000 + i),
                "IsPrecategorized": "true",
                "Series": f"BENCH series {i % 50}",
                "VictimIdentified": "false",
                "AlternativeHashes": [
                    {"HashName": "PDQ", "HashValue": hashlib.sha256(s).hexdigest()}
                ],
            }
            fh.write(("," if i else "") + json.dumps(rec, separators=(",", ":")) + "\n")
        fh.write("]}\n")


def _peak() -> str:
    """Peak RSS, and what the process holds at the end: anonymous memory (Python's own)
    apart from file pages (SQLite maps up to 1 GB of its database file: mmap_size)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    anon, file = (int(status.get(k, "0 kB").split()[0]) / 1024 for k in ("RssAnon", "RssFile"))
    return f"{peak:.0f} MB (at the end {anon:.0f} MB anonymous, {file:.0f} MB file pages)"


def child(args: argparse.Namespace) -> None:
    data_dir = Path(args.child_dir)
    django_setup(args.child_url, data_dir, migrate=args.child == "prepare")
    if args.child == "prepare":
        _prepare()
        return
    from vigil.exchange import actions

    partner = actions.partner_by_name("BENCH")
    if args.child == "web":
        from django.contrib.auth import get_user_model
        from django.core.files import File

        from vigil.exchange.models import ImportJob

        user = get_user_model().objects.get(username="bench_sharer")
        start, cpu = time.perf_counter(), time.process_time()
        with open(data_dir / "in.json", "rb") as fh:
            job = actions.do_queue_vics_import(
                File(fh, name="in.json"), actor=user, partner=partner
            )
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        job = ImportJob.objects.get(pk=job.pk)
        s = job.summary
        print(
            f"web import (seal + task): {s.get('records_read', 0):,} read, {s.get('created', 0):,} created "
            f"({job.status}) in {took:.1f} s -> {s.get('records_read', 0) / took:,.0f} records/s "
            f"(CPU {cpu:.0f} s); peak RSS {_peak()}"
        )
        return
    if args.child == "import":
        start, cpu = time.perf_counter(), time.process_time()
        with open(data_dir / "in.json", "rb") as fh:
            s = actions.do_import_vics(fh, actor=None, partner=partner, filename="in.json")
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"import: {s['records_read']:,} read, {s['created']:,} created, {s['unchanged']:,} unchanged, "
            f"{len(s['rejected'])} rejected in {took:.1f} s -> {s['records_read'] / took:,.0f} records/s "
            f"(CPU {cpu:.0f} s); peak RSS {_peak()}"
        )
    else:
        start, cpu = time.perf_counter(), time.process_time()
        from django.contrib.auth import get_user_model

        sharer = get_user_model().objects.get(username="bench_sharer")
        with open(data_dir / "out.json", "w", encoding="utf-8") as fh:
            n = actions.do_export_vics(fh, actor=sharer, partner=None, version="2.0")
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = (data_dir / "out.json").stat().st_size / 1e6
        print(
            f"export: {n:,} records ({size:.0f} MB) in {took:.1f} s -> {n / took:,.0f} records/s "
            f"(CPU {cpu:.0f} s); peak RSS {_peak()}"
        )


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_sync(n: int, tmp: Path, seed: Path | None = None) -> None:
    """A holds `n` records from partner BENCH — `seed`, the SQLite database the import step
    filled, when there is one, else imported here — and B pulls them all."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from vigil.testing.instance import Instance

    a, b = Instance.create(tmp / "a", "alpha"), Instance.create(tmp / "b", "beta")
    if seed is not None:
        shutil.copyfile(seed, a.database)
        for suffix in ("-wal", "-shm"):
            Path(f"{a.database}{suffix}").unlink(missing_ok=True)
    for inst in (a, b):  # no DEBUG query log in the figures
        inst.env.update(VIGIL_DEBUG="0", VIGIL_ALLOWED_HOSTS="127.0.0.1")
    keys = "import json\nfrom vigil.exchange import keys\ni = keys.identity()\nprint(json.dumps([i.signing_public, i.age_recipient]))"
    reg = (
        "from vigil.exchange import actions\nfrom vigil.testing.personas import make_user\n"
        "from django.contrib.auth import get_user_model\n"
        "chief = get_user_model().objects.filter(username='chief').first() or make_user('chief', 'manager')\n"
        "p = actions.do_create_partner(actor=chief, data={{'name': {n!r}, 'organisation': {n!r}, 'country': 'US',"
        " 'may_receive': 2, 'sends': 2, 'signing_key': {s!r}, 'age_recipient': {g!r}}})\n"
        "actions.do_set_partner_status(p, actor=chief, verb='approve')\n"
        "print(actions.do_issue_token(p, actor=chief)[1])"
    )
    ka, kb = json.loads(a.py(keys)), json.loads(b.py(keys))
    token = a.py(reg.format(n="beta", s=kb[0], g=kb[1])).strip()
    b.py(reg.format(n="alpha", s=ka[0], g=ka[1]))
    if seed is None:
        a.py(reg.format(n="BENCH", s=ka[0], g=ka[1]))
        write_vics(a.root / "in.json", n)
        a.vigil("import_vics", str(a.root / "in.json"), "--partner", "BENCH", "--json")
    a.start()
    try:
        b.py(
            "from vigil.exchange import actions\n"
            f"actions.do_set_sync_credentials(actions.partner_by_name('alpha'), actor=None, url={a.url!r}, token={token!r})"
        )
        server_cpu = _cpu_of(a.proc.pid)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = json.loads(
            b.vigil("sync_partner", "alpha", "--limit", "2000", "--json", timeout=36000).stdout
        )
        took = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        puller = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        server = _cpu_of(a.proc.pid) - server_cpu
        print(
            f"sync: {out['records_read']:,} records in {out['batches']} batches, {out['created']:,} created "
            f"in {took:.1f} s -> {out['records_read'] / took:,.0f} records/s (two processes, SQLite each; "
            f"CPU: serving {server:.0f} s, pulling {puller:.0f} s; pulling peak RSS "
            f"{after.ru_maxrss / 1024:.0f} MB)"
        )
    finally:
        a.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument(
        "--sync", action="store_true", help="also time a sync between two instances"
    )
    parser.add_argument("--no-files", action="store_true", help="skip the import/export figures")
    parser.add_argument("--no-web", action="store_true", help="skip the web import figure")
    parser.add_argument("--sync-seed", help=argparse.SUPPRESS)  # a database the import filled
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    parser.add_argument("--child-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="vigil-bench-vics-") as tmp:
        data_dir = Path(tmp)
        print(f"{args.records:,} records; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
        if not args.no_files:
            url = setup_database(args.database_url, data_dir)
            django_setup(url, data_dir, migrate=True)
            from django.db import connection

            _prepare()
            start = time.perf_counter()
            write_vics(data_dir / "in.json", args.records)
            size = (data_dir / "in.json").stat().st_size / 1e6
            print(
                f"database: {connection.vendor}; file {size:.0f} MB written in {time.perf_counter() - start:.1f} s"
            )
            connection.close()
            for step in ("import", "export", "import"):
                _child(step, url, data_dir)
            if not args.no_web:
                web_url = _fresh_database(url, data_dir)
                _child("prepare", web_url, data_dir)
                _child("web", web_url, data_dir)
        if args.sync:
            seed = args.sync_seed
            if seed is None and not args.no_files and url.startswith("sqlite"):
                seed = str(data_dir / "bench.sqlite3")
            bench_sync(args.records, data_dir, Path(seed) if seed else None)


def _child(step: str, url: str, data_dir: Path) -> None:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        step,
        "--child-url",
        url,
        "--child-dir",
        str(data_dir),
    ]
    subprocess.run(cmd, check=True)  # noqa: S603


def _fresh_database(url: str, data_dir: Path) -> str:
    if url.startswith("postgres"):
        return setup_database(url + "_web", data_dir)
    return f"sqlite:///{data_dir / 'web.sqlite3'}"


def _prepare() -> None:
    from vigil.exchange import actions

    actions.do_create_partner(
        actor=None,
        data={
            "name": "BENCH",
            "organisation": "Bench",
            "country": "US",
            "may_receive": 2,
            "sends": 2,
        },
    )
    from vigil.exchange.models import Partner
    from vigil.testing.personas import make_user

    Partner.objects.filter(name="BENCH").update(status="approved")
    make_user("bench_sharer", "manager", may_share=True)


if __name__ == "__main__":
    main()
