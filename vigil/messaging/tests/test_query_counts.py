"""The inbox costs the same number of queries with 1 message as with 30 (no N+1)."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from vigil.messaging.actions import do_send_message
from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries

_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def test_the_inbox_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            i = next(_n)
            do_send_message(
                actor=make_user(f"sender{i}", "investigator"),
                recipient=personas.investigator,
                subject=f"Case {i}",
                body="see",
            )

    check_list_queries(
        client,
        personas.investigator,
        reverse("messaging-inbox"),
        add,
        max_queries=11,
        expect_rows=lambda r, n: r.content.count(b"Case ") >= n,
    )
