"""The account list costs the same number of queries with 1 account as with 30."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries

_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def test_the_account_list_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            make_user(f"member{next(_n)}", "investigator")

    check_list_queries(
        client,
        personas.admin,
        reverse("accounts-list"),
        add,
        max_queries=10,
        expect_rows=lambda r, n: r.content.count(b"member") >= n,
    )
