"""Raising flags: the follow-up of a tip gaining selectors (and withdrawing them).

The tips actions send `selectors_added` inside their transaction (see
receivers.py); bulk callers call `do_flag_tips` directly. Matching is an index
probe on `tips_selector(type, value)`; names go through `deconfliction_personkey`.
Nothing here links tips or needs a permission check of its own: it follows an
action that checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from vigil.audit.log import record
from vigil.core import bulk, request_context
from vigil.deconfliction.actions.matching import (
    CHUNK,
    PERSON,
    PROBE_CHUNK,
    NewFlag,
    NewNotice,
    label_of,
    match_handle_aliases,
    match_names,
    ordered_pair,
    probe,
)
from vigil.deconfliction.actions.reference import (
    common_values,
    invalidate_common_values,
    warning_list,
)
from vigil.deconfliction.models import (
    FLAGGING_TYPES,
    NAME,
    CommonValue,
    Flag,
    TipNotice,
)
from vigil.deconfliction.queries import cluster_map
from vigil.messaging.actions import do_notify
from vigil.tips.models import Selector, Tip

# Notice reasons as the plain strings stored.
WARNING_LIST = TipNotice.Reason.WARNING_LIST.value
COMMON = TipNotice.Reason.COMMON.value


@dataclass
class FlagOutcome:
    # New open flags (full or possible): what an analyst will decide.
    flags: list[NewFlag] = field(default_factory=list)
    # New pairs whose tips already sit in one cluster: stored closed, nothing to decide.
    already_linked: list[NewFlag] = field(default_factory=list)
    # Existing possible flags that became full ones (a selector was confirmed).
    upgraded: int = 0
    # The open ones among them: their investigators are told now (a possible flag told no one).
    upgraded_flags: list[NewFlag] = field(default_factory=list)
    # Open flags folded into a common-value notice because their value crossed the threshold.
    folded: int = 0
    # tip id -> assigned user id, for every tip the flags touch that has one
    assignees: dict[int, int] = field(default_factory=dict)
    notices: list[NewNotice] = field(default_factory=list)
    # Values that crossed the threshold in this call: [type, value, tips holding it].
    common: list[list] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.flags) + self.upgraded


def do_flag_selectors(tip: Tip, selectors: Sequence[Selector], *, actor) -> int:
    """Look `tip`'s new selectors up in every other tip's selectors and raise flags.

    Returns the number of new flags. Common values (over the threshold or on
    the warning list) give one notice for the tip instead.
    """
    return do_flag_tips([(tip, list(selectors))], actor=actor).count


def do_flag_tips(items: Sequence[tuple[Tip, Sequence[Selector]]], *, actor) -> FlagOutcome:
    """Batch form of do_flag_selectors for bulk callers: one probe per type per chunk of values.

    The selectors must already be saved. No permission check: this is the
    follow-up of an action that checked (adding selectors to a tip).
    """
    items = [(tip, [s for s in sels]) for tip, sels in items if sels]
    if not items:
        return FlagOutcome()
    # No savepoint of our own: a failure here must fail the caller's change too.
    with transaction.atomic(savepoint=False):
        outcome = _raise(items)
        _record_and_notify(items, outcome, actor=actor)
    return outcome


def _raise(items: list[tuple[Tip, list[Selector]]]) -> FlagOutcome:
    threshold = settings.COMMON_VALUE_THRESHOLD
    warn = warning_list()
    batch_tips = {tip.id: tip for tip, _ in items}  # .id: .pk is a property call per tip
    notices: dict[tuple[int, str, str], NewNotice] = {}
    wanted: dict[tuple[str, str], list[tuple[Tip, Selector]]] = defaultdict(list)
    people: list[tuple[Tip, Selector]] = []

    def notice(tip_id: int, s_type: str, value: str, label: str, reason: str, detail: str):
        key = (tip_id, s_type, value)
        if key not in notices:
            notices[key] = NewNotice(tip_id, s_type, value, label[:300], reason, detail[:300])

    match = warn.match
    for tip, sels in items:
        tip_id = tip.id  # the pk's attribute itself: this loop runs for every selector
        for s in sels:
            s_type, value = s.type, s.value
            if s_type not in FLAGGING_TYPES and s_type != PERSON:
                continue
            listed = match(s_type, value)
            if listed is not None:
                notice(tip_id, s_type, value, label_of(s) or value, WARNING_LIST, listed)
                continue
            if s_type == PERSON:
                people.append((tip, s))
            wanted[(s_type, value)].append((tip, s))

    # Values already known to be common need no probe at all.
    common_now = common_values()
    known_common = {k for k in wanted if k in common_now}

    # The probe: who else holds each value (one index range per value on (type, value)).
    # (type, value) -> {tip id: is that tip's selector confirmed}
    holders: dict[tuple[str, str], dict[int, bool]] = defaultdict(dict)
    # Who is assigned to each tip met on the way: notifications need no further query.
    assignees: dict[int, int] = {
        t.id: t.assigned_to_id for t, _ in items if t.assigned_to_id is not None
    }
    limit = threshold + len(batch_tips)
    for s_type, value, tip_id, assignee, confirmed in probe(
        (k for k in wanted if k not in known_common), shared_with=batch_tips.keys()
    ):
        if assignee is not None:
            assignees[tip_id] = assignee
        bucket = holders[(s_type, value)]
        if len(bucket) <= limit:
            bucket[tip_id] = confirmed

    candidates: dict[tuple[int, int, str, str, str], NewFlag] = {}
    now_common: list[tuple[str, str, set[int], str]] = []
    for key, entries in wanted.items():
        if len(entries) == 1 and key not in known_common and threshold >= 1:
            # Most values of an import are on one tip: held by no other, nothing to do.
            held = holders.get(key)
            if held is None or (len(held) == 1 and entries[0][0].pk in held):
                continue
        s_type, value = key
        label = label_of(entries[0][1]) or value
        if key in known_common:
            for tip, _ in entries:
                notice(tip.pk, s_type, value, label, COMMON, "seen on many tips")
            continue
        confirmed_by_tip = dict(holders.get(key, {}))
        confirmed_by_tip.update({tip.pk: s.confirmed for tip, s in entries})
        tips_with = set(confirmed_by_tip)
        if len(tips_with) > threshold:
            now_common.append((s_type, value, tips_with, label))
            continue
        if s_type == PERSON:
            continue  # exact names are found (and scored) through the name index below
        for tip, s in entries:
            for other, other_confirmed in confirmed_by_tip.items():
                if other == tip.pk:
                    continue
                a, b = ordered_pair(tip.pk, other)
                possible = not (s.confirmed and other_confirmed)
                candidates.setdefault(
                    (a, b, s_type, value, ""),
                    NewFlag(a, b, s_type, value, label=label_of(s), possible=possible),
                )

    folded = 0
    common = []
    for s_type, value, tips_with, label in now_common:
        CommonValue.objects.update_or_create(
            type=s_type, value=value, defaults={"tip_count": len(tips_with)}
        )
        common.append([s_type, value, len(tips_with)])
        # Its open pair flags fold into the notice: nothing left to decide pair by pair.
        on_value = (
            Q(type=NAME) & (Q(value=value) | Q(value_b=value))
            if s_type == PERSON
            else Q(type=s_type, value=value)
        )
        folded += Flag.objects.open().filter(on_value).update(status=Flag.Status.COMMON)
        # Re-read on next use (a rolled-back transaction must not leave it in memory).
        invalidate_common_values()
        # The value just crossed the threshold: every holder gets the notice once.
        for tip_id in tips_with:
            notice(
                tip_id,
                s_type,
                value,
                label,
                COMMON,
                f"on more than {threshold} tips",
            )
    common_people = {(t, v) for t, v, _, _ in now_common if t == PERSON} | {
        k for k in known_common if k[0] == PERSON
    }

    skip = known_common | {(t, v) for t, v, _, _ in now_common}
    match_handle_aliases(wanted, skip, candidates, assignees)
    match_names(people, common_people, candidates, assignees)

    outcome = FlagOutcome(assignees=assignees, folded=folded, common=common)
    if candidates:
        # (pair, type, value, value_b) -> (pk, possible) of the flags already stored, for
        # the batch's tips that have a candidate (every candidate pair holds one of them)
        existing = _stored_flags({t for k in candidates for t in k[:2]} & batch_tips.keys())
        new = [f for k, f in candidates.items() if k not in existing]
        # A confirmed selector (a re-probe) turns possible flags into full ones.
        upgrade = {
            existing[k][0]: f
            for k, f in candidates.items()
            if k in existing and existing[k][1] and not f.possible
        }
        pks = list(upgrade)
        for i in range(0, len(pks), CHUNK):
            chunk = pks[i : i + CHUNK]
            still_open = Flag.objects.open().filter(pk__in=chunk).values_list("pk", flat=True)
            outcome.upgraded_flags.extend(upgrade[pk] for pk in still_open)
            Flag.objects.filter(pk__in=chunk).update(possible=False)
        outcome.upgraded = len(outcome.upgraded_flags)
        # Tips already in one cluster: the pair is stored, closed as already linked.
        clusters = cluster_map({t for f in new for t in (f.tip_a_id, f.tip_b_id)})
        for f in new:
            if clusters[f.tip_a_id] == clusters[f.tip_b_id]:
                f.status = Flag.Status.ALREADY_LINKED.value
        now = timezone.now()
        bulk.insert_rows(
            Flag,
            ("tip_a_id", "tip_b_id", "type", "value", "value_b", "label", "score")
            + ("match_reason", "status", "possible", "decision_note", "created_at"),
            [
                (f.tip_a_id, f.tip_b_id, f.type, f.value, f.value_b, f.label, f.score)
                + (f.match_reason, f.status, f.possible, "", now)
                for f in new
            ],
            ignore_conflicts=True,
        )
        outcome.flags = [f for f in new if f.status == Flag.Status.OPEN]
        outcome.already_linked = [f for f in new if f.status != Flag.Status.OPEN]
    if notices:
        outcome.notices = list(notices.values())
        now = timezone.now()
        bulk.insert_rows(
            TipNotice,
            ("tip_id", "type", "value", "label", "reason", "detail", "created_at"),
            [
                (n.tip_id, n.type, n.value, n.label, n.reason, n.detail, now)
                for n in outcome.notices
            ],
            ignore_conflicts=True,
        )
    return outcome


def _stored_flags(tip_ids: set[int]) -> dict[tuple, tuple[int, bool]]:
    """(tip_a, tip_b, type, value, value_b) -> (pk, possible) of every flag on `tip_ids`."""
    out: dict[tuple, tuple[int, bool]] = {}
    if not tip_ids:
        return out
    q = connection.ops.quote_name
    ids = sorted(tip_ids)
    for i in range(0, len(ids), PROBE_CHUNK):
        chunk = ids[i : i + PROBE_CHUNK]
        parts, params = [], []
        for column in ("tip_a_id", "tip_b_id"):  # one index each: a UNION, not an OR
            cond, cond_params = bulk.in_list(column, chunk)
            parts.append(
                "SELECT tip_a_id, tip_b_id, type, value, value_b, id, possible "  # noqa: S608
                f"FROM {q(Flag._meta.db_table)} WHERE {cond}"
            )
            params += cond_params
        with connection.cursor() as cursor:
            cursor.execute(" UNION ".join(parts), params)
            for a, b, t, v, vb, pk, possible in cursor.fetchall():
                out[(a, b, t, v, vb)] = (pk, bool(possible))
    return out


def _batch_id() -> str:
    return request_context.current().request_id


def _record_and_notify(items, outcome: FlagOutcome, *, actor) -> None:
    if not (outcome.flags or outcome.notices or outcome.common or outcome.upgraded_flags):
        return
    flags_by_tip: dict[int, list[NewFlag]] = defaultdict(list)
    for f in outcome.flags:
        flags_by_tip[f.tip_a_id].append(f)
        flags_by_tip[f.tip_b_id].append(f)
    notices_by_tip: dict[int, int] = defaultdict(int)
    for n in outcome.notices:
        notices_by_tip[n.tip_id] += 1
    # One audit row per call (a bulk import flags 1,000 tips per call), naming every tip:
    # its flags under "tips", the tips that only got notices (a warning-list address on
    # each tip of an IP list) as [tip, notices] pairs under "notices".
    per_tip = {}
    notices_only = []
    for tip, _ in items:
        tip_id = tip.id
        mine = flags_by_tip.get(tip_id)
        if mine:
            per_tip[str(tip_id)] = {
                "flags": [
                    [f.tip_b_id if f.tip_a_id == tip_id else f.tip_a_id, f.type, f.display]
                    for f in mine[:20]
                ],
                "flag_count": len(mine),
                "notices": notices_by_tip.get(tip_id, 0),
            }
        elif tip_id in notices_by_tip:
            notices_only.append([tip_id, notices_by_tip[tip_id]])
    single = items[0][0] if len(items) == 1 else None
    record(
        "deconfliction.flags_raised",
        actor=actor,
        obj=single,
        object_type="" if single else "tips.tip",
        summary=(
            f"{len(outcome.flags)} new flag(s), {len(outcome.notices)} notice(s) "
            "(warning list or common value)"
            + ("" if single else f" on {len(per_tip) + len(notices_only)} of {len(items)} tips")
        ),
        changes={
            "tips": per_tip,
            **({"notices": notices_only} if notices_only else {}),
            **({"upgraded": outcome.upgraded} if outcome.upgraded else {}),
            # A value that became common, and the open flags folded into its notice.
            **(
                {"common_values": outcome.common, "folded": outcome.folded}
                if outcome.common
                else {}
            ),
        },
    )
    # A possible flag (an unconfirmed value from prose) tells no one until it is confirmed:
    # then the upgraded flag does, as a new one would.
    told: dict[int, list[NewFlag]] = defaultdict(list)
    for f in [f for f in outcome.flags if not f.possible] + outcome.upgraded_flags:
        told[f.tip_a_id].append(f)
        told[f.tip_b_id].append(f)
    flags_by_tip = told
    to_tell = [t for t in flags_by_tip if t in outcome.assignees]
    if not to_tell:
        return
    batch = _batch_id()
    tips = Tip.objects.filter(pk__in=to_tell, assigned_to__isnull=False).select_related(
        "assigned_to", "source"
    )
    for tip in tips:
        mine = flags_by_tip[tip.pk]
        shared = ", ".join(sorted({f"{f.type_label} {f.display}" for f in mine})[:5])
        do_notify(
            tip.assigned_to,
            subject=f"New flag(s) on tip {tip}",
            body=(
                f"Tip {tip} shares data with {len(mine)} other tip(s) "
                f"({shared}). Open the tip's flags to link or dismiss."
            ),
            link=reverse("deconfliction-tip", args=[tip.pk]),
            dedupe_key=f"deconfliction.flags:{tip.pk}:{batch}"[:200],
        )


def do_withdraw_selectors(tip: Tip, removed: Iterable[tuple[str, str]], *, actor) -> int:
    """Selectors left a tip: its undecided flags on those values go; decided ones stay."""
    removed = list(removed)
    if not removed:
        return 0
    cond = Q()
    for s_type, value in removed:
        if s_type == PERSON:
            cond |= Q(type=NAME, tip_a=tip, value=value)
            cond |= Q(type=NAME, tip_b=tip, value_b=value)
            cond |= Q(type=NAME, tip_b=tip, value_b="", value=value)
        else:
            cond |= Q(type=s_type, value=value) | Q(type=s_type, value_b=value)
    with transaction.atomic():
        gone, _ = Flag.objects.open().involving(tip.pk).filter(cond).delete()
        notice_cond = Q()
        for s_type, value in removed:
            notice_cond |= Q(type=s_type, value=value)
        notices_gone, _ = TipNotice.objects.filter(tip=tip).filter(notice_cond).delete()
        if gone or notices_gone:
            record(
                "deconfliction.flags_withdrawn",
                actor=actor,
                obj=tip,
                changes={"flags": gone, "notices": notices_gone},
                summary=(
                    f"{gone} open flag(s) and {notices_gone} notice(s) withdrawn: "
                    "their selectors were removed"
                ),
            )
    return gone
