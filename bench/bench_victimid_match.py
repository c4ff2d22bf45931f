"""Victim identification end to end: match look-ups and match requests against N media.

    .venv/bin/python bench/bench_victimid_match.py                      # 200k media, SQLite
    .venv/bin/python bench/bench_victimid_match.py --media 1000000 --pg-url postgres://postgres@127.0.0.1:5432

1. Fills a fresh database with --media confirmed hash-only media in 100 series
   (random MD5/SHA-1/SHA-256 and PDQ, quality 100), by bulk inserts, last
   updated an hour ago.
2. Times the first query, which builds the process-wide PDQ index from the
   database (`vigil.victimid.matching`), and the cheap freshness check every
   later query pays.
3. Runs --queries look-ups through `matching.match()` (what `vigil match` and the
   match-request task call per item): a third exact MD5 hits, a third PDQ
   near-duplicates (1..31 bits flipped), a third random misses. Prints look-ups/s
   and checks every planted hit was found.
4. Processes one match request of --request-items hash-list rows through the
   real action and task (ImmediateBackend), and one of --files generated JPEG
   files (hash, seal, store as unconfirmed media, match), and prints items/s.

Uses a fresh database (SQLite file in a temp dir, or `vigil_bench_victimid` on the
PostgreSQL server, dropped and created). Nothing here runs in `make test`.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time

from _setup import REPO, django_setup  # noqa: E402  (bench/ is on sys.path when run)

sys.path.insert(0, str(REPO))


def _hex(rnd: random.Random, bits: int) -> str:
    return f"{rnd.getrandbits(bits):0{bits // 4}x}"


def _flip(h: str, n: int, rnd: random.Random) -> str:
    v = int(h, 16)
    for b in rnd.sample(range(256), n):
        v ^= 1 << b
    return f"{v:064x}"


def _jpeg(seed: int) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, size=(12, 12, 3), dtype=np.uint8)).resize(
        (640, 480), Image.Resampling.BICUBIC
    )
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--media", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--request-items", type=int, default=1000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--pg-url", help="postgres://user@host:port (database is created)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-bench-victimid-")
    if args.pg_url:
        import psycopg

        with psycopg.connect(args.pg_url + "/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS vigil_bench_victimid")
            conn.execute("CREATE DATABASE vigil_bench_victimid")
        db_url = args.pg_url + "/vigil_bench_victimid"
    else:
        db_url = f"sqlite:///{data_dir}/bench.sqlite3"
    django_setup(db_url, data_dir)

    from django.db import transaction

    from vigil.core import request_context
    from vigil.testing.personas import make_user
    from vigil.victimid import actions, matching
    from vigil.victimid.models import MatchRequest, Media, Series

    rnd = random.Random(7)
    user = make_user("bench", "manager")
    series = Series.objects.bulk_create(
        [Series(name=f"bench series {i}", victim_identified=i % 2 == 0) for i in range(100)]
    )
    print(f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}; media: {args.media:,}")
    t = time.perf_counter()
    pdqs: list[str] = []
    md5s: list[str] = []
    batch = 20_000
    for start in range(0, args.media, batch):
        rows = []
        for i in range(start, min(start + batch, args.media)):
            p, m = _hex(rnd, 256), _hex(rnd, 128)
            pdqs.append(p)
            md5s.append(m)
            rows.append(
                Media(
                    series=series[i % 100],
                    kind="image",
                    origin="bench",
                    md5=m,
                    sha1=_hex(rnd, 160),
                    sha256=_hex(rnd, 256),
                    pdq=p,
                    pdq_quality=100,
                )
            )
        with transaction.atomic():
            Media.objects.bulk_create(rows, batch_size=5000)
    # An existing repository: nothing was changed in the last minutes (the index's
    # late-commit overlap then has nothing to re-read).
    from datetime import timedelta

    from django.utils import timezone

    Media.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    print(f"  load: {time.perf_counter() - t:.1f} s")
    ids = list(Media.objects.order_by("id").values_list("id", flat=True))

    t = time.perf_counter()
    matching.match(matching.Query(pdq=_hex(rnd, 256), quality=100))
    print(
        f"  first query (builds the PDQ index from the database): {time.perf_counter() - t:.2f} s"
    )
    t = time.perf_counter()
    for _ in range(200):
        matching._INDEX.get()
    print(f"  freshness check per query: {(time.perf_counter() - t) / 200 * 1000:.2f} ms")

    queries = []
    for k in range(args.queries):
        j = rnd.randrange(args.media)
        if k % 3 == 0:
            queries.append((matching.Query(md5=md5s[j]), ids[j]))
        elif k % 3 == 1:
            queries.append(
                (matching.Query(pdq=_flip(pdqs[j], rnd.randint(1, 31), rnd), quality=100), ids[j])
            )
        else:
            queries.append(
                (matching.Query(pdq=_hex(rnd, 256), quality=100, md5=_hex(rnd, 128)), None)
            )
    t = time.perf_counter()
    missed = 0
    for q, want in queries:
        got = {m["media"] for m in matching.match(q)}
        if want is not None and want not in got:
            missed += 1
    dt = time.perf_counter() - t
    print(
        f"  look-ups: {args.queries:,} in {dt:.2f} s = {args.queries / dt:,.0f}/s "
        f"(1/3 md5 hits, 1/3 PDQ near-duplicates, 1/3 misses); planted hits missed: {missed}"
    )

    specs = []
    for k in range(args.request_items):
        j = rnd.randrange(args.media)
        if k % 2:
            specs.append(
                actions.ItemSpec(name=f"row {k}", pdq=_flip(pdqs[j], rnd.randint(0, 31), rnd))
            )
        else:
            specs.append(actions.ItemSpec(name=f"row {k}", md5=_hex(rnd, 128)))
    with request_context.bind(via="cli"):
        t = time.perf_counter()
        mr = actions.do_create_match_request(
            actor=user, requesting_agency="Bench", case_number="B-1", source="hashes", items=specs
        )
        dt = time.perf_counter() - t
    mr = MatchRequest.objects.get(pk=mr.pk)
    print(
        f"  match request, {args.request_items:,} hash-list rows: {dt:.2f} s = "
        f"{args.request_items / dt:,.0f} items/s (status {mr.status}, "
        f"{args.request_items - mr.summary['no_match']} matched)"
    )

    files = [actions.ItemSpec(name=f"f{i}.jpg", data=_jpeg(i)) for i in range(args.files)]
    with request_context.bind(via="cli"):
        t = time.perf_counter()
        mr = actions.do_create_match_request(
            actor=user, requesting_agency="Bench", case_number="B-2", source="files", items=files
        )
        dt = time.perf_counter() - t
    print(
        f"  match request, {args.files} JPEG files 640x480 (seal, decrypt, hash, store, match): "
        f"{dt:.2f} s = {args.files / dt:,.1f} files/s"
    )


if __name__ == "__main__":
    main()
