"""Exchange lists cost the same number of queries with 1 row as with 30 (no N+1)."""

from __future__ import annotations

import io
import itertools

from django.urls import reverse

from vigil.exchange import actions
from vigil.testing.queries import check_list_queries

from .conftest import make_partner

_n = itertools.count(1)


def _doc(md5: str, series: str) -> bytes:
    return (
        b'{"odata.metadata": "x#Media", "value": [{"MD5": "'
        + md5.encode()
        + b'", "Series": "'
        + series.encode()
        + b'"}]}'
    )


def _partners(personas):
    def add(n):
        for _ in range(n):
            i = next(_n)
            partner = make_partner(f"P{i}")
            actions.do_issue_token(partner, actor=personas.manager)

    return add


def _transfers(n):
    for _ in range(n):
        i = next(_n)
        partner = make_partner(f"T{i}")
        actions.do_import_vics(
            io.BytesIO(_doc(f"{i:032x}", f"Series {i}")), actor=None, partner=partner, filename="a"
        )


def _conflicts(n):
    for _ in range(n):
        i = next(_n)
        md5 = f"{i:032x}"
        for name, series in ((f"C{i}a", "One"), (f"C{i}b", "Two")):
            actions.do_import_vics(
                io.BytesIO(_doc(md5, f"{series} {i}")),
                actor=None,
                partner=make_partner(name),
                filename=name,
            )


def test_the_partner_list_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client,
        personas.manager,
        reverse("exchange-partner-list"),
        _partners(personas),
        max_queries=11,
        expect_rows=lambda r, n: r.content.count(b"(test)") >= n,
    )


def test_the_transfer_list_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client, personas.reader, reverse("exchange-transfer-list"), _transfers, max_queries=11
    )


def test_the_conflict_list_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client, personas.manager, reverse("exchange-conflict-list"), _conflicts, max_queries=11
    )
