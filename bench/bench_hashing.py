"""Benchmark of vigil.lib.pdq image hashing throughput (single process, one core).

    .venv/bin/python bench/bench_hashing.py [--images 200] [--repeat 2]

Makes ~200 benign 1024x768 JPEGs from the conformance photos (random crops, resizes,
brightness changes and noise) in a temporary directory, then measures images/s for:

1. vigil: ``pdq.hash_image`` (one read; MD5 + SHA-1 + SHA-256 + guarded decode + PDQ)
2. vigil: ``pdq.pdq_image`` + ``pdq.hash_file`` (two reads, as two separate calls)
3. raw:   ``Image.open(p).convert("RGB")`` + ``pdqhash.compute`` (decode + PDQ, no guard)
4. raw:   ``pdqhash.compute`` alone on the same images already decoded in memory
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, ImageEnhance

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vigil.lib import pdq  # noqa: E402
from vigil.testing import conformance  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = conformance.PDQ
SOURCES = [
    "bridge-mods/aaa-orig.jpg",
    "misc-images/c.png",
    "reg-test-input/pen-and-coaster.png",
    "reg-test-input/dih/bridge-2-rotate-90.jpg",
    "reg-test-input/labelme-subset/q0122.jpg",
    "reg-test-input/labelme-subset/q0291.jpg",
    "reg-test-input/labelme-subset/q1050.jpg",
]


def make_images(out: Path, count: int, seed: int = 1) -> list[Path]:
    rng = np.random.default_rng(seed)
    photos = [Image.open(DATA / s).convert("RGB") for s in SOURCES if (DATA / s).is_file()]
    if not photos:  # no conformance data: smooth generated pictures
        photos = [
            Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize(
                (1024, 768), Image.Resampling.BICUBIC
            )
            for _ in range(4)
        ]
    paths = []
    for i in range(count):
        img = photos[i % len(photos)]
        w, h = img.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        pic = img.crop((x, y, x + cw, y + ch)).resize((1024, 768), Image.Resampling.BILINEAR)
        pic = ImageEnhance.Brightness(pic).enhance(float(rng.uniform(0.8, 1.2)))
        noisy = np.asarray(pic, dtype=np.int16) + rng.integers(-12, 13, (768, 1024, 3))
        pic = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
        path = out / f"img{i:04d}.jpg"
        pic.save(path, quality=int(rng.integers(75, 96)))
        paths.append(path)
    return paths


def measure(methods: dict[str, tuple[object, list]], repeat: int) -> dict[str, float]:  # type: ignore[type-arg]
    """Images per CPU-second of each method, best of ``repeat`` passes.

    Methods are interleaved image by image and timed in process CPU time, so other
    load on the machine slows them all alike instead of skewing the ratio.
    """
    best = dict.fromkeys(methods, float("inf"))
    count = len(next(iter(methods.values()))[1])
    for _ in range(repeat):
        spent = dict.fromkeys(methods, 0.0)
        for i in range(count):
            for name, (fn, items) in methods.items():
                t0 = time.process_time()
                fn(items[i])  # type: ignore[operator]
                spent[name] += time.process_time() - t0
        for name in methods:
            best[name] = min(best[name], spent[name])
    rates = {}
    for name, secs in best.items():
        rates[name] = count / secs
        print(f"  {name:58s} {rates[name]:8.1f} images/s  ({1000 * secs / count:6.2f} ms/image)")
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2, help="best of N passes")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        t0 = time.perf_counter()
        paths = make_images(Path(tmp), args.images)
        size = sum(p.stat().st_size for p in paths) / len(paths) / 1024
        print(
            f"{len(paths)} JPEGs 1024x768, mean {size:.0f} KiB, made in "
            f"{time.perf_counter() - t0:.1f} s (source: {DATA if DATA.is_dir() else 'generated'})"
        )
        for p in paths[:8]:  # warm the page cache and the code paths
            pdq.hash_image(p)
        decoded = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
        names = (
            "vigil pdq.hash_image (md5+sha1+sha256+decode+pdq)",
            "vigil pdq.pdq_image + pdq.hash_file",
            "raw Image.open().convert('RGB') + pdqhash.compute",
            "raw md5+sha1+sha256 of the bytes only",
            "raw pdqhash.compute on already-decoded arrays",
        )
        print("single thread, images per CPU-second:")
        r = measure(
            {
                names[0]: (pdq.hash_image, paths),
                names[1]: (lambda p: (pdq.pdq_image(p), pdq.hash_file(p)), paths),
                names[2]: (
                    lambda p: pdqhash.compute(np.asarray(Image.open(p).convert("RGB"))),
                    paths,
                ),
                names[3]: (pdq.hash_file, paths),
                names[4]: (pdqhash.compute, decoded),
            },
            args.repeat,
        )
        print(
            f"ratio vigil hash_image / pdqhash alone: {r[names[0]] / r[names[4]]:.2f}; "
            f"vigil hash_image / raw decode+pdqhash: {r[names[0]] / r[names[2]]:.2f}"
        )


if __name__ == "__main__":
    main()
