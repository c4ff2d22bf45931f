"""Name-flag recall and precision per kind of corruption (issue 15).

    .venv/bin/python bench/bench_names.py [--people 500] [--seed 7] [--threshold 0.9]

Generates fictitious people and one corrupted duplicate of each
(vigil/testing/namegen.py: typos, OCR/phonetic confusions, given name and
surname swapped, given name missing or an initial, date of birth with one or two
digits changed, day and month swapped, or missing), then runs what
deconfliction runs for person selectors: blocking on `names.name_keys`, scoring
with `names.compare` (dates of birth included) at the threshold. Prints recall
per kind, overall recall and precision (every pair flagged among all 2n
records counts), and a precision–recall curve over thresholds.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vigil.lib import names  # noqa: E402
from vigil.testing import namegen  # noqa: E402


def scored_pairs(people: list[namegen.Person]) -> dict[tuple[int, int], float]:
    """Best score of every candidate pair the blocking keys produce (no threshold)."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        for k in names.name_keys(p.name, p.dob):
            by_key[k].append(i)
    out: dict[tuple[int, int], float] = {}
    for members in by_key.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                pair = (min(a, b), max(a, b))
                if pair in out:
                    continue
                pa, pb = people[pair[0]], people[pair[1]]
                m = names.compare(pa.name, pb.name, dob_a=pa.dob, dob_b=pb.dob, threshold=0.0)
                out[pair] = m.score if m else -1.0
    return out


def evaluate(people, pairs, threshold):
    flagged = {p for p, s in pairs.items() if s >= threshold}
    true = {p for p in flagged if people[p[0]].key == people[p[1]].key}
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    n = sum(1 for p in people if p.kind == "original")
    for i in range(n):
        kind = people[n + i].kind
        per_kind[kind][1] += 1
        if (i, n + i) in true:
            per_kind[kind][0] += 1
    recall = len(true) / n
    precision = len(true) / len(flagged) if flagged else 1.0
    return recall, precision, per_kind, len(flagged) - len(true)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--people", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=0.9)
    args = ap.parse_args()
    originals, dups = namegen.records(args.people, args.seed)
    extra = namegen.distractors(originals)
    people = originals + dups + extra
    pairs = scored_pairs(people)
    recall, precision, per_kind, false = evaluate(people, pairs, args.threshold)
    print(
        f"{len(people)} records ({args.people} people, one corrupted duplicate each, "
        f"{len(extra)} look-alike distractors), "
        f"threshold {args.threshold}"
    )
    for kind in namegen.KINDS:
        found, total = per_kind[kind]
        print(f"  {kind:16s} recall {found / total if total else 0:.3f}  ({found}/{total})")
    print(f"overall recall {recall:.3f}, precision {precision:.3f} ({false} false flags)")
    undecidable = sum(
        1
        for (x, y), sc in pairs.items()
        if sc >= args.threshold
        and people[x].key != people[y].key
        and (people[x].dob is None or people[y].dob is None)
        and names.normalise_name(people[x].name) == names.normalise_name(people[y].name)
    )
    print(
        f"  of the false flags, {undecidable} pair a record without a date of birth with "
        "another person of the same name (undecidable by name and date of birth alone)"
    )
    distractor_flags = sum(
        1
        for (x, y), sc in pairs.items()
        if sc >= args.threshold
        and "distractor" in (people[x].kind, people[y].kind)
        and people[x].dob is not None
        and people[y].dob is not None
    )
    print(
        f"  look-alike distractors flagged where both dates of birth are known: {distractor_flags}"
    )
    print("precision–recall curve:")
    for t in (0.80, 0.85, 0.88, 0.90, 0.92, 0.95):
        r, p, _, f = evaluate(people, pairs, t)
        print(f"  threshold {t:.2f}: recall {r:.3f} precision {p:.3f} ({f} false)")


if __name__ == "__main__":
    main()
