"""Records-lifecycle lists cost the same number of queries with 1 row as with 30."""

from __future__ import annotations

import itertools

from django.urls import reverse

from vigil.retention import actions
from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries

_n = itertools.count(1)


def test_the_hold_list_runs_a_fixed_number_of_queries(client, personas, make_tip):
    def add(n):
        for _ in range(n):
            i = next(_n)
            actions.do_place_hold(
                name=f"Hold {i}",
                reason="litigation",
                items=[("tip", make_tip(f"H-{i}").pk)],
                actor=make_user(f"mgr{i}", "manager"),
            )

    check_list_queries(
        client,
        personas.manager,
        reverse("retention-holds"),
        add,
        max_queries=10,
        expect_rows=lambda r, n: r.content.count(b"Hold ") >= n,
    )


def test_the_disposition_list_runs_a_fixed_number_of_queries(client, personas, make_tip):
    anchor = make_tip("ANCHOR")
    actions.do_place_hold(
        name="Cluster", reason="r", items=[("cluster", anchor.pk)], actor=personas.manager
    )

    def add(n):
        for _ in range(n):
            tip = make_tip(f"OLD-{next(_n)}")
            actions.do_place_hold(
                name=f"Direct {tip.pk}", reason="r", items=[("tip", tip.pk)], actor=personas.manager
            )

    check_list_queries(
        client,
        personas.manager,
        reverse("retention-disposition"),
        add,
        max_queries=21,
        expect_rows=lambda r, n: r.content.count(b"OLD-") >= n,
    )


def test_the_corrections_list_runs_a_fixed_number_of_queries(client, personas, make_tip):
    def add(n):
        for _ in range(n):
            i = next(_n)
            actions.do_report_inaccuracy(
                make_tip(f"C-{i}", old=False),
                reported_by=f"Office {i}",
                what="wrong",
                actor=personas.investigator,
            )

    check_list_queries(
        client,
        personas.manager,
        reverse("retention-corrections"),
        add,
        max_queries=10,
        expect_rows=lambda r, n: r.content.count(b"C-") >= n,
    )


def test_the_access_review_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            make_user(f"reviewed{next(_n)}", "investigator")

    check_list_queries(
        client,
        personas.manager,
        reverse("retention-access-review"),
        add,
        max_queries=16,
        expect_rows=lambda r, n: r.content.count(b"reviewed") >= n,
    )
