"""Recall and false positives per kind of alteration: PDQ alone against PDQ with
trimmed borders, sub-window hashes and the local verifier (issue 21).

    .venv/bin/python bench/bench_altered.py [--pictures 24] [--distractors 24]

Benign pictures only: --pictures generated ones (vigil/testing/pictures.py, 1/f
colour noise with shapes) plus the photos in vigil/victimid/demo_media (the bridge
once: its other files there are edits of it). Each becomes a series' stored image
through `actions.do_add_media` (as an upload: extra hashes stored). Queries: every
alteration in `pictures.ALTERATIONS` of every stored picture (a hit is a match on
its own series), and the same alterations of --distractors pictures that are *not*
stored, half of them near-duplicates of stored ones' siblings (another generated
scene of the same kind) — any match of those is a false positive.

Three configurations, same queries, through `matching.match()` as a match request
calls it (dihedral on, the query's bytes given to the verifier):
  before  whole-image PDQ (+ dihedral), as before this change;
  +trim   + the trimmed hashes (stored and query) and stored sub-windows;
  +verify + the local verifier on candidates within VIGIL_PDQ_VERIFY_RADIUS.
Prints recall per alteration, false positives, CPU seconds per query, and the
index's hashes per stored image (its memory cost).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict

from _setup import REPO, django_setup  # noqa: E402  (bench/ is on sys.path when run)

sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pictures", type=int, default=24)
    parser.add_argument("--distractors", type=int, default=24)
    parser.add_argument("--verify-radius", type=int, default=None)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-bench-altered-")
    django_setup(f"sqlite:///{data_dir}/bench.sqlite3", data_dir)

    from django.conf import settings
    from PIL import Image

    from vigil.lib import pdq as pdqlib
    from vigil.testing import pictures
    from vigil.victimid import actions, matching
    from vigil.victimid.hashing import hash_bytes_media
    from vigil.victimid.models import MediaVariant

    if args.verify_radius is not None:
        settings.PDQ_VERIFY_RADIUS = args.verify_radius
    radius = settings.PDQ_VERIFY_RADIUS

    stored: list[tuple[str, Image.Image]] = [
        (f"gen-{s}", pictures.picture(s)) for s in range(args.pictures)
    ]
    demo = REPO / "vigil/victimid/demo_media"
    for name in ("aaa-orig.jpg", "c.png", "pen-and-coaster.png"):
        stored.append((name, Image.open(demo / name).convert("RGB")))
    others = [pictures.picture(10_000 + s) for s in range(args.distractors)]
    others = [pictures.near_duplicate(im, i) if i % 2 else im for i, im in enumerate(others)]

    series_of: dict[str, int] = {}
    for name, img in stored:
        s = actions.do_create_series(actor=None, data={"name": f"Series {name}"})
        actions.do_add_media(s, actor=None, data=pictures.jpeg(img, 92), filename=f"{name}.jpg")
        series_of[name] = s.pk
    n_variants = MediaVariant.objects.count()

    def queries():
        for name, img in stored:
            for kind, fn in pictures.ALTERATIONS.items():
                yield kind, series_of[name], pictures.jpeg(fn(img), 85)
        for img in others:
            for kind, fn in pictures.ALTERATIONS.items():
                yield kind, None, pictures.jpeg(fn(img), 85)

    prepared = []
    low: dict[str, int] = defaultdict(int)  # altered copies of quality < 50
    for kind, expect, data in queries():
        hashed = hash_bytes_media(data, "q.jpg", variants="query", dihedral=True)
        q = matching.query_from_hashed(hashed)
        prepared.append((kind, expect, q, data, hashed))
        if expect is not None and q.low_quality:
            low[kind] += 1

    configs = ("before", "+trim", "+verify")
    hits = {c: defaultdict(int) for c in configs}
    false_pos = {c: defaultdict(int) for c in configs}
    total: dict[str, int] = defaultdict(int)
    neg: dict[str, int] = defaultdict(int)
    cpu = {}
    matching.match(prepared[0][2])  # build the index outside the timings
    for config in configs:
        settings.PDQ_VERIFY_RADIUS = radius if config == "+verify" else 0
        t0 = time.process_time()
        for kind, expect, q, data, hashed in prepared:
            q.variants = [] if config == "before" else matching.query_from_hashed(hashed).variants
            q.image = data if config == "+verify" else None
            found = matching.match(q, refresh=False)
            if config == "before":
                found = [m for m in found if "window" not in m]
            series = {m["series_id"] for m in found}
            if expect is None:
                if config == "before":
                    neg[kind] += 1
                if series:
                    false_pos[config][kind] += 1
            else:
                if config == "before":
                    total[kind] += 1
                if expect in series:
                    hits[config][kind] += 1
                if series - {expect}:
                    false_pos[config][kind] += 1
        cpu[config] = (time.process_time() - t0) / len(prepared)

    print(
        f"{len(stored)} stored pictures ({n_variants / len(stored):.1f} extra hashes each), "
        f"{sum(total.values())} altered copies, {sum(neg.values())} distractor queries; "
        f"verify radius {radius}"
    )
    print(f"{'alteration':22s}" + "".join(f"{c:>16s}" for c in configs) + "  low quality")
    for kind in pictures.ALTERATIONS:
        row = "".join(
            f"{hits[c][kind]:>4d}/{total[kind]:<3d} fp {false_pos[c][kind]:<3d}" for c in configs
        )
        print(f"{kind:22s}{row}  {low[kind] or ''}")
    all_total = sum(total.values())
    for c in configs:
        h = sum(hits[c].values())
        fp = sum(false_pos[c].values())
        print(
            f"{c:8s} recall {h / all_total:.3f} ({h}/{all_total})  false positives {fp}  "
            f"CPU {1000 * cpu[c]:.1f} ms/query"
        )
    print(
        f"low quality (< {pdqlib.LOW_QUALITY}, never matched perceptually by rule): "
        f"{sum(low.values())} of the {all_total} altered copies"
    )
    per_hash = 1 + n_variants / len(stored)
    print(
        f"index: {per_hash:.1f} hashes per stored image (before: 1.0); PDQ threshold "
        f"{matching.default_threshold()}, low quality < {pdqlib.LOW_QUALITY}"
    )


if __name__ == "__main__":
    main()
