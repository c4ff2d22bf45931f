"""Deconfliction at scale: flag new tips against a large store of selectors.

    .venv/bin/python bench/bench_flags.py                         # 10M selectors, 100k tips, both DBs
    .venv/bin/python bench/bench_flags.py --selectors 1000000 --tips 10000 --db sqlite

1. Builds a store of --selectors selectors (five per tip: ip, email, phone,
   online_id, url; a person name on 2 % of tips, with its blocking keys; 50
   "hot" IPs on 200 tips each) in a fresh database: executemany in large
   transactions on SQLite, COPY on PostgreSQL, with the secondary indexes and
   constraints dropped while loading and rebuilt afterwards.
2. Imports --tips new tips the way the bulk importer does (batches of 500:
   bulk-insert tips and selectors, then `selectors_added` per tip, which runs
   deconfliction's do_flag_selectors) and prints tips/s and flags/s, both for
   the whole import and for the flagging alone. `--batch` uses do_flag_tips
   (one probe per 500 tips) instead.
3. Saves --samples tips one at a time (own transaction each) and prints the
   p50/p95/max time from saving the tip to its flags being readable.

Values are drawn so that about a third of new selectors hit an existing value.
PostgreSQL: --pg-url names a server; the database `vigil_bench_flags` is
dropped and created. Nothing here runs in `make test`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import django_setup  # noqa: E402  (bench/ is on sys.path when run)
from _store import drop_pg_indexes  # noqa: E402

TYPES = ("ip", "email", "phone", "online_id", "url")
PERSON_SHARE = 0.02
HOT_VALUES = 50
HOT_TIPS = 200
BATCH = 500

# First octets outside every reserved range on the warning list.
_OCTETS = [
    o
    for o in range(11, 224)
    if o not in (100, 127, 169, 172, 192, 198, 203) and not (o in (1, 8, 9) or o >= 224)
]
_SYL = ["ka", "to", "ri", "mu", "sen", "dor", "val", "bek", "lin", "mar", "zo", "pet", "han", "vik"]
_FIRST = [
    "john", "william", "robert", "elizabeth", "maria", "ahmed", "chen", "olga", "pierre",
    "kofi", "anna", "david", "fatima", "ivan", "lucia", "samuel", "yuki", "omar", "sofia", "li",
]  # fmt: skip


def value(type_: str, k: int) -> str:
    if type_ == "ip":
        return f"{_OCTETS[k % len(_OCTETS)]}.{(k >> 16) & 255}.{(k >> 8) & 255}.{k & 255}"
    if type_ == "email":
        return f"user{k}@host{k % 9973}.net"
    if type_ == "phone":
        return f"+1{2_000_000_000 + k}"
    if type_ == "online_id":
        return f"instagram:user{k}"
    if type_ == "url":
        return f"https://site{k % 100_000}.com/p/{k}"
    raise ValueError(type_)


def person(k: int) -> str:
    first = _FIRST[k % len(_FIRST)]
    k //= len(_FIRST)
    last = ""
    for _ in range(3):
        last += _SYL[k % len(_SYL)]
        k //= len(_SYL)
    return f"{first} {last}{k}" if k else f"{first} {last}"


class Store:
    """Sizes and value pools derived from the number of selectors wanted."""

    def __init__(self, selectors: int, seed: int = 7):
        self.n_tips = max(HOT_TIPS, int(selectors / (len(TYPES) + PERSON_SHARE)))
        self.pool = max(10, int(self.n_tips * 0.8))  # ~1.25 tips per value
        self.person_pool = max(10, int(self.n_tips * PERSON_SHARE * 2))
        self.rng = random.Random(seed)

    def tip_values(self, rng: random.Random, spread: float = 1.0):
        out = [(t, value(t, rng.randrange(int(self.pool * spread)))) for t in TYPES]
        if rng.random() < PERSON_SHARE:
            out.append(("person", person(rng.randrange(int(self.person_pool * spread)))))
        return out


# --------------------------------------------------------------------------- child


def _rows(store: Store, source_id: int):
    """Yield (tip row, [selector rows], [person key rows]) with sequential ids."""
    from vigil.lib import names

    now = "2026-01-01 00:00:00"
    rng = store.rng
    sel_id = 0
    key_id = 0
    hot_every = max(1, store.n_tips // (HOT_VALUES * HOT_TIPS)) if store.n_tips else 1
    for tip_id in range(1, store.n_tips + 1):
        tip = (tip_id, f"S-{tip_id:09d}", now, "bulk", "", "", "new", "", 5, "", "{}", now, now,
               None, None, source_id)  # fmt: skip
        vals = store.tip_values(rng)
        if tip_id % hot_every == 0 and tip_id // hot_every <= HOT_VALUES * HOT_TIPS:
            vals[0] = ("ip", f"45.{(tip_id // hot_every) % HOT_VALUES}.0.1")
        vals.sort()
        sels = []
        keys = []
        for type_, v in vals:
            sel_id += 1
            details = "{}"
            if type_ == "person":
                details = json.dumps({"name": v.title()})
                for key in sorted(names.name_keys(v)):
                    key_id += 1
                    keys.append((key_id, key[:80], sel_id))
            sels.append((sel_id, type_, v, v, None, "", False, True, None, None, details, now,
                         tip_id))  # fmt: skip
        yield tip, sels, keys


TIP_COLS = ("id, source_reference, received_at, received_via, narrative, country, status, "
            "status_reason, priority, source_warning, attributes, created_at, updated_at, "
            "assigned_to_id, created_by_id, source_id")  # fmt: skip
SEL_COLS = ("id, type, value, raw, encrypted, masked, extracted, confirmed, observed_at, port, "
            "details, created_at, tip_id")  # fmt: skip
KEY_COLS = "id, key, selector_id"
TABLES = ("tips_tip", "tips_selector", "deconfliction_personkey")


def load_sqlite(path: str, store: Store, source_id: int) -> tuple[int, int]:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    # Secondary indexes go while loading; the inline UNIQUE constraints stay (rows
    # arrive in their order, so those indexes only ever append).
    saved = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({','.join('?' * len(TABLES))})",
        TABLES,
    ).fetchall()
    for name, _ in saved:
        con.execute(f'DROP INDEX "{name}"')
    tips, sels, keys = [], [], []
    n_sel = 0
    con.execute("BEGIN")

    def flush():
        con.executemany(f"INSERT INTO tips_tip ({TIP_COLS}) VALUES ({','.join('?' * 16)})", tips)
        con.executemany(
            f"INSERT INTO tips_selector ({SEL_COLS}) VALUES ({','.join('?' * 13)})", sels
        )
        con.executemany(f"INSERT INTO deconfliction_personkey ({KEY_COLS}) VALUES (?,?,?)", keys)
        tips.clear(), sels.clear(), keys.clear()

    for tip, s, k in _rows(store, source_id):
        tips.append(tip)
        sels.extend(s)
        keys.extend(k)
        n_sel += len(s)
        if len(sels) >= 200_000:
            flush()
    flush()
    con.execute("COMMIT")
    t = time.perf_counter()
    for _, sql in saved:
        con.execute(sql)
    con.execute("ANALYZE")
    con.close()
    return n_sel, int(time.perf_counter() - t)


def load_postgres(store: Store, source_id: int) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        rebuild = drop_pg_indexes(cur, TABLES)

    raw = connection.connection  # psycopg 3

    def esc(v) -> str:
        if v is None:
            return "\\N"
        if isinstance(v, bool):
            return "t" if v else "f"
        s = str(v)
        if "\\" in s or "\t" in s or "\n" in s:
            s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        return s

    n_sel = 0
    bufs = {t: io.StringIO() for t in TABLES}

    def flush(cur):
        for table, cols in zip(TABLES, (TIP_COLS, SEL_COLS, KEY_COLS), strict=True):
            data = bufs[table].getvalue()
            if data:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    copy.write(data)
            bufs[table] = io.StringIO()

    with raw.cursor() as cur:
        rows = 0
        for tip, sels, keys in _rows(store, source_id):
            bufs["tips_tip"].write("\t".join(map(esc, tip)) + "\n")
            for s in sels:
                bufs["tips_selector"].write("\t".join(map(esc, s)) + "\n")
            for k in keys:
                bufs["deconfliction_personkey"].write("\t".join(map(esc, k)) + "\n")
            n_sel += len(sels)
            rows += len(sels)
            if rows >= 200_000:
                flush(cur)
                rows = 0
        flush(cur)
    raw.commit()
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for sql in rebuild:
            cur.execute(sql)
        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
            cur.execute(f"ANALYZE {table}")
    return n_sel, int(time.perf_counter() - t)


def child(args) -> None:
    data_dir = tempfile.mkdtemp(prefix="bench_flags_")
    if args.db == "sqlite":
        db_path = os.path.join(data_dir, "bench.sqlite3")
        url = f"sqlite:///{db_path}"
    else:
        url = args.pg_url
        _recreate_pg(url)
    django_setup(url, data_dir)
    from django.db import connection, transaction

    from vigil.deconfliction import actions
    from vigil.deconfliction.models import Flag
    from vigil.tips.models import Selector, Source, Tip
    from vigil.tips.signals import selectors_added

    source = Source.objects.create(name="Bench source")
    store = Store(args.selectors)
    print(
        f"[{args.db}] loading {args.selectors:,} selectors on {store.n_tips:,} tips …", flush=True
    )
    t0 = time.perf_counter()
    if args.db == "sqlite":
        connection.close()
        n_sel, idx_s = load_sqlite(db_path, store, source.pk)
    else:
        n_sel, idx_s = load_postgres(store, source.pk)
    load_s = time.perf_counter() - t0
    print(
        f"[{args.db}] loaded {n_sel:,} selectors in {load_s:.0f} s (indexes rebuilt in {idx_s} s)"
    )

    rng = random.Random(99)
    from django.utils import timezone

    def new_tip(ref: str):
        return Tip(
            source=source, source_reference=ref, received_at=timezone.now(), received_via="bulk"
        )

    def selectors_for(tip):
        out = []
        for type_, v in store.tip_values(rng, spread=2.0):
            details = {"name": v.title()} if type_ == "person" else {}
            out.append(Selector(tip=tip, type=type_, value=v, raw=v, details=details))
        return out

    def run(count: int, prefix: str, batch: bool) -> None:
        flags = 0
        flag_s = 0.0
        t0 = time.perf_counter()
        for start in range(0, count, BATCH):
            n = min(BATCH, count - start)
            with transaction.atomic():
                tips = Tip.objects.bulk_create(
                    [new_tip(f"{prefix}-{start + i:09d}") for i in range(n)]
                )
                per_tip = [(t, selectors_for(t)) for t in tips]
                Selector.objects.bulk_create([s for _, sels in per_tip for s in sels])
                f0 = time.perf_counter()
                if batch:
                    flags += actions.do_flag_tips(per_tip, actor=None).count
                else:
                    for tip, sels in per_tip:
                        for _, result in selectors_added.send(
                            sender=Tip, tip=tip, selectors=sels, actor=None
                        ):
                            flags += result
                flag_s += time.perf_counter() - f0
            done = start + n
            if done % 20_000 == 0 or done == count:
                el = time.perf_counter() - t0
                print(f"[{args.db}]   {done:,} tips, {flags:,} flags, {el:.1f} s", flush=True)
        total_s = time.perf_counter() - t0
        path = "do_flag_tips per 500 tips" if batch else "selectors_added per tip"
        print(
            f"[{args.db}] import {count:,} tips ({path}): {total_s:.1f} s = "
            f"{count / total_s:,.0f} tips/s, {flags / total_s:,.0f} flags/s ({flags:,} flags); "
            f"flagging alone {flag_s:.1f} s = {count / flag_s:,.0f} tips/s, "
            f"{flags / flag_s:,.0f} flags/s",
            flush=True,
        )

    run(args.tips, "N", args.batch)
    if args.compare:
        run(args.compare, "C", not args.batch)

    lat = []
    for i in range(args.samples):
        t = time.perf_counter()
        with transaction.atomic():
            tip = new_tip(f"L-{i:09d}")
            tip.save()
            sels = Selector.objects.bulk_create(selectors_for(tip))
            selectors_added.send(sender=Tip, tip=tip, selectors=sels, actor=None)
        list(Flag.objects.involving(tip.pk).values_list("pk", flat=True))
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p95 = lat[int(len(lat) * 0.95) - 1] if lat else 0
    print(
        f"[{args.db}] save one tip -> flags visible ({len(lat)} samples): "
        f"p50 {statistics.median(lat):.1f} ms, p95 {p95:.1f} ms, max {lat[-1]:.1f} ms"
    )
    total_sel = Selector.objects.count()
    print(f"[{args.db}] store now {total_sel:,} selectors, {Flag.objects.count():,} flags")
    if args.db == "sqlite" and not args.keep:
        connection.close()
        for p in Path(data_dir).glob("bench.sqlite3*"):
            p.unlink()


def _recreate_pg(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--selectors", type=int, default=10_000_000, help="size of the store")
    ap.add_argument("--tips", type=int, default=100_000, help="new tips to import and flag")
    ap.add_argument("--samples", type=int, default=500, help="tips saved one by one for latency")
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/vigil_bench_flags"
        ),
    )
    ap.add_argument("--batch", action="store_true", help="flag with do_flag_tips per 500 tips")
    ap.add_argument(
        "--compare", type=int, default=0, help="then import this many tips by the other path"
    )
    ap.add_argument("--keep", action="store_true", help="keep the SQLite file")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    print(
        f"bench_flags: {args.selectors:,} selectors, {args.tips:,} new tips, {os.cpu_count()} CPUs"
    )
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        cmd = [sys.executable, __file__, "--child", "--db", db]
        cmd += ["--selectors", str(args.selectors), "--tips", str(args.tips)]
        cmd += ["--samples", str(args.samples), "--pg-url", args.pg_url]
        cmd += ["--batch"] if args.batch else []
        cmd += ["--compare", str(args.compare)]
        cmd += ["--keep"] if args.keep else []
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
