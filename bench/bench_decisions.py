"""How many decisions an analyst faces, before and after "one decision per shared value" (issue 15).

    .venv/bin/python bench/bench_decisions.py [--offenders 400] [--tips 2500] [--seed 5]

Builds each scenario in a fresh SQLite database through the real flagging code
and counts:

- before: what the pair design asked: one decision per flagged tip pair (every
  pair flag between two tips decided together), with the old common-value
  threshold (50) and no "already linked" or folding (pairs closed by the system
  count as open, as they stayed open then);
- after: one decision per shared value (`queries.open_decisions`), at the
  current threshold (VIGIL_COMMON_VALUE_THRESHOLD, default 25), plus the number
  of common-value notices (information, not decisions).

The last scenario (offenders) replays an analyst deciding as tips arrive, in
batches: every open decision is linked when its tips are one offender's, else
dismissed; it counts the decisions made. Figures are CPU seconds of this
process (the machine is shared: wall time is noise).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_setup  # noqa: E402

OLD_THRESHOLD = 50


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--offenders", type=int, default=400)
    ap.add_argument("--tips", type=int, default=2500)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="bench_decisions_")
    django_setup(f"sqlite:///{data_dir}/bench.sqlite3", data_dir)

    from django.conf import settings
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from vigil.accounts.models import Role
    from vigil.deconfliction import actions, queries
    from vigil.deconfliction.models import Flag, TipNotice
    from vigil.tips.models import Selector, Source, Tip

    new_threshold = settings.COMMON_VALUE_THRESHOLD
    from vigil.testing.personas import make_user

    manager = make_user("bench_manager", Role.MANAGER)
    source = Source.objects.create(name="Bench source")
    refs = iter(range(1, 10**9))

    def tip() -> Tip:
        return Tip.objects.create(
            source=source, source_reference=f"B-{next(refs):06d}", received_at=timezone.now()
        )

    def add(t: Tip, type_: str, value: str, *, extracted: bool = False) -> None:
        s = Selector.objects.create(
            tip=t, type=type_, value=value, raw=value, extracted=extracted, confirmed=not extracted
        )
        actions.do_flag_tips([(t, [s])], actor=None)

    def before_count() -> int:
        # Pairs a person has not decided (closed-by-system pairs stayed open in the pair design).
        return (
            Flag.objects.exclude(status__in=[Flag.Status.LINKED, Flag.Status.DISMISSED])
            .values("tip_a_id", "tip_b_id")
            .distinct()
            .count()
        )

    class Rollback(Exception):
        pass

    def measure(build) -> tuple[int, int, int, float]:
        out = []
        t0 = time.process_time()
        for threshold in (OLD_THRESHOLD, new_threshold):
            settings.COMMON_VALUE_THRESHOLD = threshold
            actions.invalidate_common_values()
            try:
                with transaction.atomic():
                    build()
                    out.append(
                        (before_count(), queries.open_decisions(), TipNotice.objects.count())
                    )
                    raise Rollback
            except Rollback:
                pass
            actions.invalidate_common_values()
        cpu = time.process_time() - t0
        settings.COMMON_VALUE_THRESHOLD = new_threshold
        return out[0][0], out[1][1], out[1][2], cpu

    def one_handle():
        for _ in range(8):
            add(tip(), "online_id", "kik:x_panda_night")

    def one_url():
        for _ in range(40):
            add(tip(), "url", "https://files.example.org/shared")

    def one_ip():
        for _ in range(60):
            add(tip(), "ip", "81.2.69.142")

    def new_tip_vs_cluster():
        old = [tip() for _ in range(10)]
        for t in old:
            add(t, "email", "x@example.org")
        if Flag.objects.open().exists():
            actions.do_link_shared_value(Flag.objects.open().first(), note="one", actor=manager)
        add(tip(), "email", "x@example.org")

    def linked_share_more():
        a, b = tip(), tip()
        actions.do_link_tips(note="known", actor=manager, tip_a=a, tip_b=b)
        for t in (a, b):
            add(t, "phone", "+12025550143")
            add(t, "vehicle", "ABC123")
            add(t, "address", "12 main street, springfield")

    def demo():
        from vigil.deconfliction import demo as dec_demo
        from vigil.tips import demo as tips_demo

        dec_demo.prepare(manager)
        tips_demo.load(manager)

    scenarios = [
        ("one handle on 8 tips", one_handle),
        ("one URL on 40 tips", one_url),
        ("one IP on 60 tips", one_ip),
        ("a new tip sharing a value with a linked cluster of 10", new_tip_vs_cluster),
        ("two linked tips sharing 3 more values", linked_share_more),
        ("demo data (make run)", demo),
    ]
    print(
        f"decisions an analyst faces: before (pair flags, threshold {OLD_THRESHOLD}) "
        f"→ after (shared values, threshold {new_threshold}); CPU s for both runs"
    )
    for name, build in scenarios:
        before, after, notices, cpu = measure(build)
        print(f"  {name:55s} {before:6d} → {after:4d}   ({notices} notices, {cpu:.2f} CPU s)")

    # --- names: one decision per spelling -----------------------------------------------------
    def spelling_group(per_tip: bool) -> tuple[int, int]:
        """6 tips 'William Turner' + 2 'Bill Turner', one date of birth: (pairs, decisions made
        dismissing from the flags list until none is open). `per_tip`: the rule before, one
        decision per tip's pairs on its own spelling."""
        try:
            with transaction.atomic():
                for name in ["William Turner"] * 6 + ["Bill Turner"] * 2:
                    t = tip()
                    s = Selector.objects.create(
                        tip=t,
                        type="person",
                        value=name.lower(),
                        raw=name,
                        details={"name": name, "dob": "1980-04-02"},
                    )
                    actions.do_flag_tips([(t, [s])], actor=None)
                pairs, made = Flag.objects.open().count(), 0
                while (flag := Flag.objects.open().order_by("id").first()) is not None:
                    made += 1
                    if per_tip:
                        spelling = flag.value
                        Flag.objects.open().filter(
                            Q(tip_a_id=flag.tip_a_id, value=spelling)
                            | Q(tip_b_id=flag.tip_a_id, value_b=spelling)
                            | Q(tip_b_id=flag.tip_a_id, value_b="", value=spelling)
                        ).update(status=Flag.Status.DISMISSED)
                    else:
                        actions.do_dismiss_shared_value(flag, reason="apart", actor=manager)
                raise Rollback
        except Rollback:
            pass
        return pairs, made

    t0 = time.process_time()
    pairs, before_names = spelling_group(per_tip=True)
    _, after_names = spelling_group(per_tip=False)
    print(
        f"  {'names: 6 tips spelled william turner + 2 bill turner':55s} {pairs:6d} pairs: "
        f"{before_names} → {after_names} decisions dismissed one by one "
        f"(per tip → per spelling, {time.process_time() - t0:.2f} CPU s)"
    )

    # --- offenders: an analyst deciding as tips arrive ----------------------------------------
    rng = random.Random(args.seed)
    offenders = []
    for o in range(args.offenders):
        ids = [("online_id", f"kik:off{o}_{k}") for k in range(rng.randint(1, 2))]
        ids += [("email", f"off{o}.{k}@example.org") for k in range(rng.randint(0, 2))]
        ids += [("phone", f"+1202555{o:04d}")] if rng.random() < 0.5 else []
        ids += [("ip", f"81.{o % 200}.{o // 200}.{k}") for k in range(rng.randint(0, 2))]
        offenders.append(ids)
    # Tips per offender: mostly a few, some many (mean about tips/offenders, at most 30).
    mean = max(1.0, args.tips / args.offenders)
    owners: list[int] = []
    for o in range(args.offenders):
        owners += [o] * min(30, 1 + int(rng.expovariate(1 / (mean - 0.5 if mean > 1 else 1))))
    rng.shuffle(owners)
    owners = (owners * (1 + args.tips // max(1, len(owners))))[: args.tips]
    plan = []  # (offender, [(type, value, extracted)])
    for o in owners:
        own = offenders[o]
        vals = [
            (t, v, rng.random() < 0.2)
            for t, v in rng.sample(own, k=min(len(own), rng.randint(1, 3)))
        ]
        if rng.random() < 40 / args.tips:
            vals.append(("url", "https://files.example.org/shared", False))  # ~40 tips
        if rng.random() < 60 / args.tips:
            vals.append(("ip", "81.2.69.142", False))  # ~60 tips: a VPN exit
        plan.append((o, vals))

    def replay(mode: str, threshold: int) -> tuple[int, int, float]:
        settings.COMMON_VALUE_THRESHOLD = threshold
        actions.invalidate_common_values()
        offender_of: dict[int, int] = {}
        decisions = 0
        t0 = time.process_time()
        try:
            with transaction.atomic():
                for start in range(0, len(plan), 250):
                    items = []
                    for o, vals in plan[start : start + 250]:
                        t = tip()
                        offender_of[t.pk] = o
                        sels = Selector.objects.bulk_create(
                            [
                                Selector(
                                    tip=t, type=ty, value=v, raw=v, extracted=ex, confirmed=not ex
                                )
                                for ty, v, ex in vals
                            ]
                        )
                        items.append((t, sels))
                    actions.do_flag_tips(items, actor=None)
                    if mode == "pairs":
                        # The pair design: every open tip pair is a decision of its own.
                        pairs = set(Flag.objects.open().values_list("tip_a_id", "tip_b_id"))
                        decisions += len(pairs)
                        Flag.objects.open().update(status=Flag.Status.DISMISSED)
                        continue
                    while True:
                        flag = Flag.objects.open().order_by("id").first()
                        if flag is None:
                            break
                        pairs = queries.shared_value_pairs(flag)
                        members = {t for p in pairs for t in (p.tip_a_id, p.tip_b_id)}
                        decisions += 1
                        if len({offender_of[t] for t in members}) == 1:
                            actions.do_link_shared_value(flag, note="one offender", actor=manager)
                        else:
                            actions.do_dismiss_shared_value(
                                flag, reason="coincidence", actor=manager
                            )
                raise Rollback
        except Rollback:
            pass
        settings.COMMON_VALUE_THRESHOLD = new_threshold
        actions.invalidate_common_values()
        return decisions, len(plan), time.process_time() - t0

    before, n, cpu_b = replay("pairs", OLD_THRESHOLD)
    after, _, cpu_a = replay("shared", new_threshold)
    print(
        f"  {n} tips from {args.offenders} offenders, decided as they arrive (batches of 250): "
        f"{before} → {after} decisions ({cpu_b:.1f} + {cpu_a:.1f} CPU s)"
    )


if __name__ == "__main__":
    main()
