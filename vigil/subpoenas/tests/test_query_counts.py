"""Subpoena lists cost the same number of queries with 1 row as with 30 (no N+1)."""

from __future__ import annotations

import itertools

from django.urls import reverse
from rest_framework.test import APIClient

from vigil.lookups import actions as lookup_actions
from vigil.subpoenas import actions
from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries
from vigil.tips import actions as tip_actions

from .conftest import selector_ids

_n = itertools.count(1)


def _subpoenas(personas, source):
    """n drafts, each on its own tip (own investigator) to its own provider."""

    def add(n):
        for _ in range(n):
            i = next(_n)
            owner = make_user(f"inv{i}", "investigator")
            tip = tip_actions.do_create_tip(
                actor=personas.manager,
                source=source,
                source_reference=f"SP-{i}",
                selectors=[tip_actions.SelectorInput("email", f"user{i}@cable{i}.example")],
            )
            tip_actions.do_assign_tip(tip, owner, actor=personas.manager)
            provider = lookup_actions.do_create_provider(
                actor=personas.manager,
                name=f"Provider {i}",
                legal_email=f"legal@cable{i}.example",
                service_method="email",
            )
            actions.do_draft_subpoena(
                tip,
                actor=owner,
                provider=provider,
                selector_ids=selector_ids(tip, "email"),
                categories=["name"],
            )

    return add


def test_the_subpoena_queue_runs_a_fixed_number_of_queries(client, personas, source):
    check_list_queries(
        client,
        personas.reader,
        reverse("subpoenas-queue"),
        _subpoenas(personas, source),
        max_queries=16,
        expect_rows=lambda r, n: r.content.count(b"SP-") >= n,
    )


def test_the_subpoena_api_list_runs_a_fixed_number_of_queries(personas, source):
    check_list_queries(
        APIClient(),
        personas.reader,
        reverse("api-subpoenas"),
        _subpoenas(personas, source),
        token=True,
        max_queries=9,
        expect_rows=lambda r, n: len(r.json()) == n,
    )


def test_the_tips_subpoena_panel_runs_a_fixed_number_of_queries(client, personas, source):
    """The draft form lists every identifier and proposes a provider from the look-ups."""
    from vigil.lookups.tests.test_query_counts import identifiers_with_providers

    tip = tip_actions.do_create_tip(actor=personas.manager, source=source, source_reference="QP-1")
    check_list_queries(
        client,
        personas.manager,
        reverse("subpoenas-tip-panel", args=[tip.pk]),
        identifiers_with_providers(personas, tip),
        max_queries=22,  # 20 on SQLite, 21 on PostgreSQL
        expect_rows=lambda r, n: r.content.count(b'name="identifiers"') >= 2 * n,
    )
