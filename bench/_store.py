"""A large selector store built set-based (INSERT … SELECT over a series), for bench_import.

`build_store(n)` adds n // 4 tips holding four selectors each (email, online ID,
URL, file hash) in one statement per table and type: SQLite walks a recursive
CTE, PostgreSQL `generate_series`. The secondary indexes (and on PostgreSQL
the unique and foreign-key constraints) are dropped while loading and rebuilt
afterwards, then ANALYZE. Store tip k holds the e-mail `store{k}@example.org`,
which `store_email(k)` gives to the new tips meant to meet it.
"""

from __future__ import annotations

import time

PER_TIP = 4
TABLES = ("tips_tip", "tips_selector")


def store_email(k: int) -> str:
    return f"store{k}@example.org"


def _series(n: int) -> tuple[str, str]:
    """(WITH clause or "", FROM item) yielding the integers 1..n as `n`."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return "", f"generate_series(1, {int(n)}) AS s(n)"
    return (
        f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {int(n)}) ",
        "s",
    )


def drop_pg_indexes(cur, tables) -> list[str]:
    """PostgreSQL: drop the secondary indexes and the unique, foreign-key and check
    constraints of `tables`; the statements that rebuild them, in order (indexes, then
    constraints, unique before foreign keys). bench_flags loads through it too."""
    cur.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f', 'c') "
        "ORDER BY contype DESC",
        [list(tables)],
    )
    constraints = cur.fetchall()
    for table, name, _ in constraints:
        cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
        "AND indexname NOT LIKE '%%_pkey'",
        [list(tables)],
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    rebuild = [sql for _, sql in indexes]
    return rebuild + [f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for t, n, d in constraints]


def _drop_indexes(cur) -> list[str]:
    """Drop what slows a load; the statements that rebuild it, in order."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return drop_pg_indexes(cur, TABLES)
    cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('tips_tip', 'tips_selector')"
    )
    saved = cur.fetchall()
    for name, _ in saved:
        cur.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in saved]


def build_store(n_selectors: int, *, source, actor) -> tuple[int, int, float]:
    """Add the store; (tips, selectors, seconds)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from vigil.tips.models import Selector, Tip

    n_tips = max(1, n_selectors // PER_TIP)
    t0 = time.perf_counter()
    # One template row of each table, copied by every generated row (all columns valid).
    with transaction.atomic():
        tip = Tip.objects.create(
            source=source,
            source_reference="STORE-TEMPLATE",
            received_at=timezone.now(),
            received_via=Tip.Via.BULK,
            created_by=actor,
        )
        sel = Selector.objects.create(tip=tip, type="email", value="t@example.org", raw="t")
    q = connection.ops.quote_name
    tip_cols = [f.column for f in Tip._meta.concrete_fields if not f.primary_key]
    sel_cols = [f.column for f in Selector._meta.concrete_fields if not f.primary_key]
    cat = "||"
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA foreign_keys = OFF")
    with transaction.atomic(), connection.cursor() as cur:
        rebuild = _drop_indexes(cur)
        cur.execute(f"SELECT max(id) FROM {q('tips_tip')}")
        base = cur.fetchone()[0]
        with_, series = _series(n_tips)
        over = {"source_reference": f"'STORE-' {cat} CAST(s.n AS TEXT)"}
        cur.execute(
            f"{with_}INSERT INTO tips_tip (id, {', '.join(map(q, tip_cols))}) "  # noqa: S608
            f"SELECT {base} + s.n, {', '.join(over.get(c, 't.' + q(c)) for c in tip_cols)} "
            f"FROM {series} CROSS JOIN tips_tip t WHERE t.id = {tip.pk}"
        )
        kinds = {
            "email": "'store' || CAST(s.n AS TEXT) || '@example.org'",
            "online_id": "'kik:store' || CAST(s.n AS TEXT)",
            "url": "'https://store.example.org/u/' || CAST(s.n AS TEXT)",
            "file_hash": (
                "lpad(to_hex(s.n), 32, '0')"
                if connection.vendor == "postgresql"
                else "printf('%032x', s.n)"
            ),
        }
        for kind, expr in kinds.items():
            over = {
                "tip_id": f"{base} + s.n",
                "type": f"'{kind}'",
                "value": expr,
                "raw": expr,
            }
            cur.execute(
                f"{with_}INSERT INTO tips_selector ({', '.join(map(q, sel_cols))}) "  # noqa: S608
                f"SELECT {', '.join(over.get(c, 't.' + q(c)) for c in sel_cols)} "
                f"FROM {series} CROSS JOIN tips_selector t WHERE t.id = {sel.pk}"
            )
        if connection.vendor == "postgresql":
            cur.execute("SET maintenance_work_mem = '512MB'")
        for sql in rebuild:
            cur.execute(sql)
        if connection.vendor == "postgresql":
            for table in TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("ANALYZE")
    return n_tips, n_tips * PER_TIP, time.perf_counter() - t0
