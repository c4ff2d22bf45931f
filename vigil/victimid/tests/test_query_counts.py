"""Series and match-request lists cost the same number of queries with 1 row as with 30."""

from __future__ import annotations

import itertools

from django.urls import reverse
from rest_framework.test import APIClient

from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries
from vigil.victimid.models import MatchRequest

_n = itertools.count(1)


def _series(series_factory):
    def add(n):
        for _ in range(n):
            i = next(_n)
            series_factory(f"Series {i}", actor=make_user(f"inv{i}", "investigator"))

    return add


def _requests(n):
    for _ in range(n):
        i = next(_n)
        MatchRequest.objects.create(
            requesting_agency=f"Agency {i}",
            case_number=f"C-{i}",
            status="done",
            total=0,
            submitted_by=make_user(f"sub{i}", "investigator"),
            summary={"items": 0},
        )


def test_the_series_list_runs_a_fixed_number_of_queries(client, personas, series_factory):
    check_list_queries(
        client,
        personas.reader,
        reverse("victimid-series-list"),
        _series(series_factory),
        max_queries=14,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: r.content.count(b"Series ") >= n,
    )


def test_the_series_api_runs_a_fixed_number_of_queries(personas, series_factory):
    check_list_queries(
        APIClient(),
        personas.reader,
        reverse("victimid-api-series"),
        _series(series_factory),
        token=True,
        max_queries=7,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: (
            len(r.json()["results"] if "results" in r.json() else r.json()) == n
        ),
    )


def test_the_match_request_list_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client,
        personas.reader,
        reverse("victimid-request-list"),
        _requests,
        max_queries=14,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: r.content.count(b"Agency ") >= n,
    )
