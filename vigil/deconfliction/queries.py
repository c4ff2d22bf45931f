"""Read-side helpers shared by the pages, the API, the export command and the write side.

Nothing here writes, and nothing here imports `actions` (the write side imports this).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Value, When

from vigil.accounts import access
from vigil.deconfliction.models import Flag, Link, TipNotice
from vigil.tips.models import Tip

# A cluster page beyond this many tips shows the first ones and says so.
MAX_CLUSTER_TIPS = 500

_TIP_RELATED = ("source", "assigned_to")
_CHUNK = 500


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
        .select_related("tip_a", "tip_b")
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
