"""Query counts of list pages and list endpoints: the same with 1 row as with 30.

Usage (one test per list):

    def test_the_queue_runs_a_fixed_number_of_queries(client, personas, source):
        check_list_queries(
            client, personas.reader, reverse("tips-queue"),
            add_rows=lambda n: [make_tip(...) for _ in range(n)],
            max_queries=20,
        )

`add_rows(n)` adds n more rows the list shows, as varied as real ones (each
with its own source, assignee, selectors…: what an N+1 would walk). The page
is rendered once with 1 row to warm per-process caches, then counted with 1
row and with 30; the two counts must be equal and at most `max_queries`.
`expect_rows`, when given, is called with each counted response and the row
count, so the test also proves the rows were in the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.test.utils import CaptureQueriesContext

FEW = 1
MANY = 30


def _count(client: Any, url: str, params: dict | None) -> tuple[int, Any, list[str]]:
    # Every alias: a view that reads from a replica must not hide its queries there.
    contexts = [CaptureQueriesContext(connections[alias]) for alias in connections]
    for c in contexts:
        c.__enter__()
    try:
        response = client.get(url, params or {})
    finally:
        for c in reversed(contexts):
            c.__exit__(None, None, None)
    queries = [q["sql"] for c in contexts for q in c.captured_queries]
    return len(queries), response, queries


def check_list_queries(
    client: Any,
    user: Any,
    url: str,
    add_rows: Callable[[int], Any],
    *,
    max_queries: int,
    params: dict | None = None,
    expect_rows: Callable[[Any, int], bool] | None = None,
    token: bool = False,
) -> tuple[int, int]:
    """Assert GET `url` as `user` costs the same, bounded number of queries for 1 and 30 rows.

    `client` is Django's test client (session) or, with `token=True`, a DRF
    APIClient given `user`'s API token. Returns (queries with 1, with 30).
    """
    if token:
        from vigil.testing.personas import api_token

        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    else:
        client.force_login(user)
    add_rows(FEW)
    warm = client.get(url, params or {})
    assert warm.status_code == 200, f"{url}: {warm.status_code}"
    few, response, few_sql = _count(client, url, params)
    if expect_rows is not None:
        assert expect_rows(response, FEW), f"{url}: the row is not in the answer"
    add_rows(MANY - FEW)
    many, response, many_sql = _count(client, url, params)
    assert response.status_code == 200
    if expect_rows is not None:
        assert expect_rows(response, MANY), f"{url}: the {MANY} rows are not in the answer"
    extra = "\n".join(q for q in many_sql if q not in few_sql)[:3000]
    assert few == many, f"{url}: {few} queries with {FEW} row, {many} with {MANY}; new:\n{extra}"
    assert many <= max_queries, f"{url}: {many} queries, more than {max_queries}"
    return few, many
