"""Read-side questions about the audit trail."""

from __future__ import annotations

from django.db import connection

from vigil.audit.models import AuditEvent

# One index probe per distinct value (a "loose index scan"), on SQLite and PostgreSQL alike.
_DISTINCT_ACTIONS = (
    "WITH RECURSIVE t(a) AS (SELECT MIN(action) FROM {t} "
    "UNION ALL SELECT (SELECT MIN(action) FROM {t} WHERE action > t.a) "
    "FROM t WHERE t.a IS NOT NULL) SELECT a FROM t WHERE a IS NOT NULL"
)


def known_actions() -> list[str]:
    """Every distinct action in the trail, sorted, for the viewer's filter.

    A loose index scan on the `action` index (one index probe per distinct action, a hundred
    or so), not a scan of the trail: answers as fast at ten million rows as at ten.
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    # The only interpolation is our own table name, quoted by the backend.
    sql = _DISTINCT_ACTIONS.format(t=table)
    with connection.cursor() as cur:
        cur.execute(sql)
        return [row[0] for row in cur.fetchall()]


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The filter's choices by family: [("tip", [("tip.", "every tip action"), ("tip.view", …)])]."""
    groups: dict[str, list[str]] = {}
    for action in known_actions():
        groups.setdefault(action.split(".", 1)[0], []).append(action)
    out = []
    for family, actions in groups.items():
        items = [(a, a) for a in actions]
        if any("." in a for a in actions):
            items.insert(0, (f"{family}.", f"every {family} action"))
        out.append((family, items))
    return out
