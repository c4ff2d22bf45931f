"""`vigil hash` against pdqhash alone, whole commands, process start included.

    .venv/bin/python bench/bench_hash_cli.py [--images 400] [--repeat 3]

Makes benign 1024x768 JPEGs (bench_hashing.make_images: crops and resizes of the
conformance photos), then times, best of --repeat, wall clock:

- floor: a Python process that decodes each file with Pillow and calls
  ``pdqhash.compute`` (what "pdqhash alone" costs, no exact hashes);
- ``vigil hash DIR --json --jobs 1`` (MD5 + SHA-1 + SHA-256 + guarded decode + PDQ);
- ``vigil hash DIR --json`` (all cores).

Goals (issue 21): --jobs 1 within 1.1x of the floor; all cores >= 1.8x faster than
the floor on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_hashing import make_images  # noqa: E402

FLOOR = """
import sys, pdqhash, numpy as np
from pathlib import Path
from PIL import Image
for p in sorted(Path(sys.argv[1]).iterdir()):
    pdqhash.compute(np.asarray(Image.open(p).convert("RGB")))
"""


def best(cmd: list[str], repeat: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    py = sys.executable
    vigil = str(Path(py).parent / "vigil")
    env = {**os.environ, "VIGIL_DEBUG": "1"}
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        env["VIGIL_DATA_DIR"] = str(Path(tmp) / "data")
        folder = Path(tmp) / "images"
        folder.mkdir()
        make_images(folder, args.images)
        subprocess.run([vigil, "migrate", "-v0"], check=True, env=env)
        cores = len(os.sched_getaffinity(0))
        floor = best([py, "-c", FLOOR, str(folder)], args.repeat, env)
        one = best([vigil, "hash", str(folder), "--json", "--jobs", "1"], args.repeat, env)
        allc = best([vigil, "hash", str(folder), "--json"], args.repeat, env)
        n = args.images
        print(f"{n} JPEGs 1024x768, {cores} cores, best of {args.repeat}, wall clock")
        print(f"  pdqhash alone (decode + PDQ)      {floor:6.2f} s  {n / floor:6.1f} images/s")
        print(f"  vigil hash --jobs 1               {one:6.2f} s  {n / one:6.1f} images/s")
        print(f"  vigil hash (all {cores} cores)          {allc:6.2f} s  {n / allc:6.1f} images/s")
        print(f"ratio --jobs 1 / pdqhash alone: {one / floor:.2f} (goal <= 1.10)")
        print(f"speed-up all cores vs pdqhash alone: {floor / allc:.2f}x (goal >= 1.8 on 2 cores)")


if __name__ == "__main__":
    main()
