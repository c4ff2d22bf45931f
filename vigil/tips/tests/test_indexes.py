"""No index on the tables an import writes is covered by another (issue 16).

Every index is paid on every imported row: 20,000 tips and 60,000 selectors a
file. An index whose columns lead another index (or a unique constraint, or the
primary key) serves no query the longer one cannot, so it is only cost. The
check reads the database itself (SQLite and PostgreSQL), so a `db_index=True`
or a foreign key's own index coming back fails here, whatever the model says.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Index

pytestmark = pytest.mark.django_db

# The tables one import writes (tips, their selectors, the notices and flags they raise).
IMPORT_TABLES = ["tips_tip", "tips_selector", "deconfliction_tipnotice", "deconfliction_flag"]


def covered_indexes(table: str) -> list[str]:
    """'index [columns] ⊑ covering' for each non-unique index of `table` whose columns
    lead another b-tree index, unique constraint or primary key, in the same order
    of each column or all reversed (one scan backwards serves the latter)."""
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, table)
    keys = {}
    for name, c in found.items():
        if not (c["index"] or c["unique"]) or not c["columns"]:
            continue  # foreign keys, checks; expression indexes (full text)
        if c.get("type") not in (None, Index.suffix):
            continue  # GIN and the like: another kind of index (None: a constraint's)
        if name.endswith("_like"):
            # PostgreSQL's varchar_pattern_ops twin of a db_index: it serves LIKE,
            # which the plain index (also checked) cannot.
            continue
        columns = tuple(c["columns"])
        keys[name] = (columns, tuple(c.get("orders") or ["ASC"] * len(columns)), c["unique"])
    flip = {"ASC": "DESC", "DESC": "ASC"}
    return sorted(
        f"{name} {list(columns)} ⊑ {other}"
        for name, (columns, orders, unique) in keys.items()
        if not unique  # a unique index enforces something, whatever covers it
        for other, (longer, longer_orders, _) in keys.items()
        if other != name
        and longer[: len(columns)] == columns
        and longer_orders[: len(orders)] in (orders, tuple(flip[o] for o in orders))
    )


@pytest.mark.parametrize("table", IMPORT_TABLES)
def test_no_index_on_an_import_table_is_covered_by_another(table):
    assert covered_indexes(table) == []


def test_it_finds_a_covered_index():
    # The check must see what it guards against: the single-column indexes tips 0008
    # dropped, one read backwards, a prefix of a unique constraint; not an index whose
    # mixed order no other index has.
    with connection.cursor() as cur:
        cur.execute('CREATE INDEX "test_status" ON "tips_tip" ("status")')
        cur.execute('CREATE INDEX "test_source" ON "tips_tip" ("source_id")')
        cur.execute('CREATE INDEX "test_desc" ON "tips_tip" ("priority" DESC)')
        cur.execute('CREATE INDEX "test_mixed" ON "tips_tip" ("priority" DESC, "received_at")')
        cur.execute('CREATE INDEX "test_notice" ON "deconfliction_tipnotice" ("tip_id", "type")')
    assert covered_indexes("tips_tip") == [
        "test_desc ['priority'] ⊑ test_mixed",
        "test_desc ['priority'] ⊑ tip_queue_order",
        "test_source ['source_id'] ⊑ tip_unique_source_reference",
        "test_status ['status'] ⊑ tips_tip_status_4daa1c_idx",
    ]
    assert covered_indexes("deconfliction_tipnotice") == [
        "test_notice ['tip_id', 'type'] ⊑ tipnotice_unique"
    ]


@pytest.mark.parametrize(
    ("lookup", "index"),
    [("assigned_to_id", "tip_assigned_to"), ("import_job_id", "tip_import_job")],
)
def test_partial_foreign_key_indexes_serve_the_lookups_by_id(lookup, index):
    # Only the non-empty values are indexed (an imported tip has neither): the queries
    # ask `= id` (a user's tips, an import's tips), which the planner must see implies
    # NOT NULL, or they would read every tip. PostgreSQL: a generic plan too, as its own
    # foreign-key checks use when a user or an import job is deleted.
    from vigil.tips.models import Tip

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL enable_seqscan = off")
                cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        plan = Tip.objects.filter(**{lookup: 7}).order_by().only("id").explain()
        assert index in plan, plan
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    f"PREPARE by_fk(bigint) AS SELECT 1 FROM tips_tip WHERE {lookup} = $1"  # noqa: S608
                )
                cur.execute("EXPLAIN EXECUTE by_fk(7)")
                generic = "\n".join(r[0] for r in cur.fetchall())
                cur.execute("DEALLOCATE by_fk")
            assert index in generic and "$1" in generic, generic
