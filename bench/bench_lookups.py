"""Offline range database: a bulk look-up of N IPs against a table of M ranges.

    .venv/bin/python bench/bench_lookups.py                    # 1,000,000 IPs, 500,000 ranges
    .venv/bin/python bench/bench_lookups.py --ips 100000 --ranges 50000

Generates an ip2asn-style TSV (90 % IPv4, 10 % IPv6, disjoint ranges with gaps,
as iptoasn's are), loads it with `import_ranges` into a fresh SQLite database,
then times `ranges.lookup_many` on --ips random addresses (90 % IPv4; about
half land in a range): the first call (index built from the
database) and a second (index in memory), against a floor measured in the same
run (parse the addresses and bisect the IPv4 starts, nothing else). Nothing
here runs in `make test`.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import resource
import tempfile
import time
from pathlib import Path

from _setup import django_setup  # noqa: E402


def make_tsv(path: Path, count: int, rng: random.Random) -> None:
    v6 = count // 10
    v4 = count - v6
    with path.open("w") as out:
        step = (2**32 - 2**24) // v4
        base = 2**24
        for i in range(v4):
            start = base + i * step
            end = start + rng.randint(step // 4, step * 3 // 4)
            out.write(
                f"{ipaddress.IPv4Address(start)}\t{ipaddress.IPv4Address(end)}\t{rng.randint(1, 400000)}"
                f"\tUS\tAS-OWNER-{i}\n"
            )
        step6 = 2**96 // v6
        base6 = 0x2001 << 112
        for i in range(v6):
            start = base6 + i * step6
            end = start + rng.randint(step6 // 4, step6 * 3 // 4)
            out.write(
                f"{ipaddress.IPv6Address(start)}\t{ipaddress.IPv6Address(end)}\t{rng.randint(1, 400000)}"
                f"\tDE\tAS6-OWNER-{i}\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ips", type=int, default=1_000_000)
    parser.add_argument("--ranges", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        django_setup(f"sqlite:///{tmpdir / 'bench.sqlite3'}", tmpdir / "data")
        from vigil.lookups import actions, ranges

        tsv = tmpdir / "ip2asn.tsv"
        t = time.perf_counter()
        make_tsv(tsv, args.ranges, rng)
        print(f"generated {args.ranges:,} ranges in {time.perf_counter() - t:.1f} s")
        t, c = time.perf_counter(), time.process_time()
        summary = actions.do_import_ranges(tsv, actor_username="bench")
        print(
            f"import_ranges: {summary['ranges']:,} ranges in {time.perf_counter() - t:.1f} s wall, "
            f"{time.process_time() - c:.1f} s CPU"
        )

        ips = []
        for _ in range(args.ips):
            if rng.random() < 0.9:
                ips.append(str(ipaddress.IPv4Address(rng.randint(2**24, 2**32 - 1))))
            else:
                ips.append(str(ipaddress.IPv6Address((0x2001 << 112) + rng.randint(0, 2**96 - 1))))
        for label in ("first look-up (builds the index)", "second look-up (index in memory)"):
            results = None  # the previous answer's million dicts go before the next are built
            t, c = time.perf_counter(), time.process_time()
            results = ranges.lookup_many(ips)
            took, cpu = time.perf_counter() - t, time.process_time() - c
            hits = sum(1 for r in results if r["source"] is not None)
            # CPU seconds too: on a shared machine the wall clock mostly measures the others.
            print(
                f"{label}: {len(ips):,} IPs in {took:.2f} s wall, {cpu:.2f} s CPU "
                f"({len(ips) / cpu:,.0f} IPs per CPU second), {hits:,} covered"
            )
        # The floor, measured in the same run: what any look-up of these IPs must do at the
        # least — parse each address (inet_pton) and bisect the IPv4 starts (numpy) — with no
        # IPv6, no result rows and no database. The ratio says what the rest costs.
        import socket

        import numpy as np

        starts = np.sort(
            np.fromiter((r for r in ranges.indexes()[0].v4.starts), dtype=np.uint64, count=-1)
        )
        t, c = time.perf_counter(), time.process_time()
        packed = []
        for text in ips:
            try:
                packed.append(socket.inet_pton(socket.AF_INET, text))
            except OSError:
                packed.append(bytes(4))
        values = np.frombuffer(b"".join(packed), dtype=">u4").astype(np.uint64)
        np.searchsorted(starts, values, side="right")
        floor = time.process_time() - c
        print(
            f"floor (parse + bisect only): {len(ips):,} IPs in {time.perf_counter() - t:.2f} s "
            f"wall, {floor:.2f} s CPU; the look-up with the index in memory is "
            f"{cpu / floor:.1f}x the floor in CPU"
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
