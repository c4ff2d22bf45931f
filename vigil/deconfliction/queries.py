"""Read-side helpers shared by the pages, the API, the export command and the write side.

Nothing here writes, and nothing here imports `actions` (the write side imports this).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from vigil.accounts import access
from vigil.core import bulk
from vigil.deconfliction.models import NAME, Flag, Link, TipNotice
from vigil.tips.models import Tip

# A cluster page beyond this many tips shows the first ones and says so.
MAX_CLUSTER_TIPS = 500

_TIP_RELATED = ("source", "assigned_to")
_CHUNK = 500


def _active_links(tip_ids: list[int]) -> list[tuple[int, int]]:
    """(tip_a, tip_b) of the active links touching `tip_ids`: Link.objects.active() on
    either side, one statement (a UNION over the two indexes, the ids one parameter)."""
    table = connection.ops.quote_name(Link._meta.db_table)
    parts, params = [], []
    for column in ("tip_a_id", "tip_b_id"):
        cond, cond_params = bulk.in_list(column, tip_ids)
        parts.append(
            f"SELECT tip_a_id, tip_b_id FROM {table} WHERE removed_at IS NULL AND {cond}"  # noqa: S608
        )
        params += cond_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(parts), params)
        return cursor.fetchall()


def cluster_tip_ids(tip_id: int) -> set[int]:
    """The connected component of active links holding `tip_id` (breadth-first over links)."""
    seen = {tip_id}
    frontier = [tip_id]
    while frontier:
        nxt: list[int] = []
        for i in range(0, len(frontier), _CHUNK):
            chunk = frontier[i : i + _CHUNK]
            rows = (
                Link.objects.active()
                .filter(Q(tip_a_id__in=chunk) | Q(tip_b_id__in=chunk))
                .values_list("tip_a_id", "tip_b_id")
            )
            for a, b in rows:
                for t in (a, b):
                    if t not in seen:
                        seen.add(t)
                        nxt.append(t)
        frontier = nxt
    return seen


def cluster_map(tip_ids: Iterable[int]) -> dict[int, int]:
    """tip id -> its cluster's smallest tip id, for every tip in `tip_ids`.

    One query finds which of the tips have any active link (new tips usually
    have none: they are their own cluster); only those are walked.
    """
    ids = set(tip_ids)
    out = {t: t for t in ids}
    linked: set[int] = set()
    chunks = [list(ids)[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    for chunk in chunks:
        for a, b in _active_links(chunk):
            linked.update(t for t in (a, b) if t in ids)
    done: set[int] = set()
    for t in linked:
        if t in done:
            continue
        component = cluster_tip_ids(t)
        root = min(component)
        for member in component & ids:
            out[member] = root
        done |= component
    return out


def flags_for_tip(tip_id: int, *, limit: int = 500) -> list[Flag]:
    order = Case(
        When(status=Flag.Status.OPEN, then=Value(0)),
        When(status=Flag.Status.LINKED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(
        Flag.objects.involving(tip_id)
        .select_related(
            "tip_a__source",
            "tip_a__assigned_to",
            "tip_b__source",
            "tip_b__assigned_to",
            "decided_by",
        )
        .order_by(order, "-created_at", "-id")[:limit]
    )


def notices_for_tip(tip_id: int) -> list[TipNotice]:
    return list(TipNotice.objects.filter(tip_id=tip_id))


def links_for_tip(tip_id: int) -> list[Link]:
    return list(
        Link.objects.filter(Q(tip_a_id=tip_id) | Q(tip_b_id=tip_id))
        .select_related("tip_a__source", "tip_b__source", "created_by", "removed_by")
        .order_by("removed_at", "-created_at")
    )


def writable_tip_ids(user, tip_ids: Iterable[int]) -> set[int]:
    if not access.can_create(user):
        return set()
    return set(
        Tip.objects.for_user(user, access.WRITE)
        .filter(pk__in=list(tip_ids))
        .values_list("pk", flat=True)
    )


@dataclass
class ClusterData:
    tip_ids: set[int]
    tips: list[dict] = field(default_factory=list)  # {"tip": Tip, "url": str}
    links: list[Link] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)  # linked/open flags inside the cluster
    truncated: bool = False


def cluster_data(tip_id: int) -> ClusterData:
    ids = cluster_tip_ids(tip_id)
    shown = sorted(ids)
    truncated = len(shown) > MAX_CLUSTER_TIPS
    if truncated:
        shown = [tip_id, *[t for t in shown if t != tip_id][: MAX_CLUSTER_TIPS - 1]]
    tips = Tip.objects.filter(pk__in=shown).select_related(*_TIP_RELATED).order_by("received_at")
    links = list(
        Link.objects.active()
        .filter(tip_a_id__in=shown, tip_b_id__in=shown)
        .select_related("created_by", "tip_a__source", "tip_b__source")
    )
    flags = list(
        Flag.objects.filter(tip_a_id__in=shown, tip_b_id__in=shown)
        .exclude(status=Flag.Status.DISMISSED)
        .select_related("tip_a__source", "tip_b__source")
        .order_by("type", "value")
    )
    return ClusterData(
        tip_ids=ids,
        tips=[{"tip": t, "url": ""} for t in tips],
        links=links,
        flags=flags,
        truncated=truncated,
    )


def cluster_graph(data: ClusterData, *, focus: int, url: Callable[[int], str]) -> dict:
    """Cytoscape elements: tips and shared values as nodes; a tip–value edge per sharing tip."""
    nodes = []
    edges = []
    for row in data.tips:
        t = row["tip"]
        nodes.append(
            {
                "data": {
                    "id": f"t{t.pk}",
                    "kind": "tip",
                    "label": f"{t.source.name} {t.source_reference}",
                    "status": t.get_status_display(),
                    "assigned": str(t.assigned_to or ""),
                    "url": url(t.pk),
                    "focus": t.pk == focus,
                }
            }
        )
    values: dict[tuple[str, str], str] = {}
    seen_edges: set[tuple[str, str]] = set()
    linked_pairs = {(lk.tip_a_id, lk.tip_b_id) for lk in data.links}
    for f in data.flags:
        key = (f.type, f.export_value)
        node_id = values.get(key)
        if node_id is None:
            node_id = f"v{len(values) + 1}"
            values[key] = node_id
            nodes.append(
                {
                    "data": {
                        "id": node_id,
                        "kind": "value",
                        "label": f"{f.type_label}: {f.display}"[:80],
                        "type": f.type,
                    }
                }
            )
        for tip_id in (f.tip_a_id, f.tip_b_id):
            edge = (f"t{tip_id}", node_id)
            if edge not in seen_edges:
                seen_edges.add(edge)
                edges.append(
                    {
                        "data": {
                            "id": f"e{len(edges) + 1}",
                            "source": edge[0],
                            "target": edge[1],
                            "kind": "shares",
                            "linked": (f.tip_a_id, f.tip_b_id) in linked_pairs,
                        }
                    }
                )
    for lk in data.links:
        if lk.flag_id is None:  # a link made without a flag: draw it tip to tip
            edges.append(
                {
                    "data": {
                        "id": f"l{lk.pk}",
                        "source": f"t{lk.tip_a_id}",
                        "target": f"t{lk.tip_b_id}",
                        "kind": "link",
                        "linked": True,
                    }
                }
            )
    return {
        "focus": f"t{focus}",
        "size": len(data.tip_ids),
        "truncated": data.truncated,
        "elements": {"nodes": nodes, "edges": edges},
    }


# --- shared values: the unit an analyst decides ------------------------------------------


def _spelling(flag: Flag, tip_id: int) -> str:
    """For a name flag: the tip's own normalised name in it."""
    if flag.tip_a_id == tip_id:
        return flag.value
    return flag.value_b or flag.value


def shared_value_pairs(flag: Flag, *, tip_id: int | None = None) -> list[Flag]:
    """The open pairs decided together with `flag`: one decision per shared value.

    A value shared by N undecided tips is one decision, not N(N-1)/2. Seen from a
    tip (`tip_id`, the page the analyst is on): that tip and the tips it shares
    the value with (the open pairs among them). For a name, one decision per
    spelling (`_name_group`). Possible flags (from prose, not confirmed) are
    decided apart from full ones.
    """
    if tip_id not in (flag.tip_a_id, flag.tip_b_id):
        tip_id = None
    base = Flag.objects.open().filter(type=flag.type, possible=flag.possible)
    if flag.type == NAME:
        focus = tip_id or flag.tip_a_id
        return _name_group(base, focus, _spelling(flag, focus))
    pairs = base.filter(value=flag.value)
    if tip_id is not None:
        members = {tip_id}
        for a, b in pairs.involving(tip_id).values_list("tip_a_id", "tip_b_id"):
            members.update((a, b))
        pairs = pairs.filter(tip_a_id__in=members, tip_b_id__in=members)
    return list(pairs.order_by("tip_a_id", "tip_b_id"))


def _name_group(base, focus: int, name: str) -> list[Flag]:
    """A name's decision: the tips spelled `name` (normalised) that match `focus` exactly, as
    one group, and every open pair between one of them and any tip their name matched.

    A group of tips sharing one spelling is one decision, however many variants
    matched them (the per-value design: "these tips share name N"), not one per
    tip. As for a value, it stays among the tips `focus` is open with (what its
    page shows): a tip of the same spelling that is not an open match of
    `focus` (its date of birth vetoed it, or the pair was decided) is another
    group, and so is a variant that matched only another tip of the group.
    """
    spelled = base.filter(Q(value=name) | Q(value_b=name))
    members, same = {focus}, {focus}
    mine = Q(tip_a_id=focus, value=name) | Q(tip_b_id=focus, value_b=name)
    mine |= Q(tip_b_id=focus, value_b="", value=name)
    for a, b, b_name in spelled.filter(mine).values_list("tip_a_id", "tip_b_id", "value_b"):
        members.update((a, b))
        if not b_name:  # both spelled `name`: the other tip is of the group
            same.update((a, b))
    out = []
    for p in spelled.filter(tip_a_id__in=members, tip_b_id__in=members).order_by(
        "tip_a_id", "tip_b_id"
    ):
        a_name, b_name = p.value, p.value_b or p.value
        if (a_name == name and p.tip_a_id not in same) or (
            b_name == name and p.tip_b_id not in same
        ):
            continue  # a tip of this spelling outside the group
        out.append(p)
    return out


@dataclass
class SharedValue:
    """One decision: `tip` (or, in lists, the first tip) shares a value with `others`."""

    key: tuple[str, str, bool]  # (type, value as the tip holds it, possible)
    flag: Flag  # a representative open pair: decisions post its id
    flags: list[Flag] = field(default_factory=list)
    others: list[Tip] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return self.key[2]


def shared_values_for_tip(tip_id: int, flags: Iterable[Flag]) -> list[SharedValue]:
    """A tip's open flags grouped into the decisions it faces (one per value it shares)."""
    groups: dict[tuple[str, str, bool], SharedValue] = {}
    for f in flags:
        if f.status != Flag.Status.OPEN:
            continue
        value = _spelling(f, tip_id) if f.type == NAME else f.value
        key = (f.type, value, f.possible)
        group = groups.get(key)
        if group is None:
            group = groups[key] = SharedValue(key=key, flag=f)
        group.flags.append(f)
        group.others.append(f.other_tip(tip_id))
    return sorted(groups.values(), key=lambda g: (g.possible, g.key[0], g.key[1]))


def open_decisions(qs=None) -> int:
    """How many decisions the open flags ask of an analyst (one per shared value)."""
    qs = Flag.objects.open() if qs is None else qs.filter(status=Flag.Status.OPEN)
    return qs.values("type", "value", "possible").distinct().count()


@dataclass
class DecisionRow:
    """A row of the flags list: one shared value, the tips it is open between."""

    flag: Flag  # the representative pair (decisions post its id)
    tips: list[Tip]
    pairs: int
    possible: bool


def decision_rows(keys: list[dict], qs) -> list[DecisionRow]:
    """Rows for (type, value, possible) keys of open flags in `qs` (already filtered for the user)."""
    if not keys:
        return []
    cond = Q()
    for k in keys:
        cond |= Q(type=k["type"], value=k["value"], possible=k["possible"])
    by_key: dict[tuple, list[Flag]] = {}
    related = ("tip_a__source", "tip_a__assigned_to", "tip_b__source", "tip_b__assigned_to")
    for f in qs.filter(cond).select_related(*related).order_by("id")[: len(keys) * 200]:
        by_key.setdefault((f.type, f.value, f.possible), []).append(f)
    rows = []
    for k in keys:
        flags = by_key.get((k["type"], k["value"], k["possible"]), [])
        if not flags:
            continue
        tips: dict[int, Tip] = {}
        for f in flags:
            tips.setdefault(f.tip_a_id, f.tip_a)
            tips.setdefault(f.tip_b_id, f.tip_b)
        rows.append(
            DecisionRow(
                flag=flags[0],
                tips=sorted(tips.values(), key=lambda t: t.pk),
                pairs=k["n"],
                possible=k["possible"],
            )
        )
    return rows
