"""The search results cost the same number of queries with 1 record of each kind as with 30."""

from __future__ import annotations

from django.urls import reverse

from vigil.search.tests import factories as sf
from vigil.testing.queries import check_list_queries

EMAIL = "shared@example.org"
MD5 = "0cc175b9c0f1b6a831c399e269772661"


def _count(marker):
    return lambda response, n: response.content.count(marker) >= n


def test_a_selector_search_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            t = sf.tip_with("email", EMAIL)
            sf.subpoena_naming(t, "email", EMAIL)

    check_list_queries(
        client,
        personas.reader,
        reverse("search-results"),
        add,
        params={"q": EMAIL},
        max_queries=26,  # PostgreSQL: +2, the audit row's advisory lock
        expect_rows=_count(b"SUB-"),
    )


def test_a_hash_and_case_number_search_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            sf.media(sf.series(f"Series {next(sf._n)}"), md5=MD5)

    check_list_queries(
        client,
        personas.reader,
        reverse("search-results"),
        add,
        params={"q": MD5},
        max_queries=26,  # PostgreSQL: +2, the audit row's advisory lock
        expect_rows=_count(b"Series "),
    )


def test_a_case_number_search_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            t = sf.tip_with("email", "case@example.org")
            sf.referral(t, "NWK-7")
            sf.match_request("NWK-7")

    check_list_queries(
        client,
        personas.reader,
        reverse("search-results"),
        add,
        params={"q": "NWK-7"},
        max_queries=26,
        expect_rows=_count(b"NWK-7"),
    )
