"""Tip lists cost the same number of queries with 1 row as with 30 (no N+1)."""

from __future__ import annotations

import itertools

from django.urls import reverse
from rest_framework.test import APIClient

from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries
from vigil.tips import actions
from vigil.tips.models import ImportJob, Source

_n = itertools.count(1)


def _tips(personas):
    """n tips, each with its own source, assignee, selectors and a note."""

    def add(n):
        for _ in range(n):
            i = next(_n)
            source = Source.objects.create(name=f"Source {i}", kind=Source.Kind.PUBLIC)
            tip = actions.do_create_tip(
                actor=personas.manager,
                source=source,
                source_reference=f"Q-{i}",
                narrative=f"user{i}@example.org wrote from 203.0.113.{i % 250}",
                selectors=[actions.SelectorInput("phone", f"+1 202 555 {i:04d}")],
            )
            investigator = make_user(f"inv{i}", "investigator")
            actions.do_assign_tip(tip, investigator, actor=personas.manager)
            actions.do_add_research_note(tip, f"note {i}", actor=investigator)

    return add


def _has_rows(marker):
    return lambda response, n: response.content.count(marker) >= n


def test_the_queue_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client,
        personas.reader,
        reverse("tips-queue"),
        _tips(personas),
        max_queries=16,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=_has_rows(b"Q-"),
    )


def test_the_queue_as_a_manager_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client, personas.manager, reverse("tips-queue"), _tips(personas), max_queries=17
    )


def test_the_search_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client,
        personas.reader,
        reverse("tips-search"),
        _tips(personas),
        params={"q": "example.org"},
        max_queries=14,
    )


def test_the_tips_api_list_runs_a_fixed_number_of_queries(personas):
    check_list_queries(
        APIClient(),
        personas.reader,
        reverse("api-tips-list"),
        _tips(personas),
        token=True,
        max_queries=9,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: r.json()["count"] == n,
    )


def test_the_sources_directory_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            i = next(_n)
            Source.objects.create(name=f"Office {i}", kind=Source.Kind.FIELD_OFFICE)

    check_list_queries(client, personas.reader, reverse("tips-sources"), add, max_queries=10)


def test_the_import_jobs_list_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            i = next(_n)
            ImportJob.objects.create(
                created_by=personas.investigator,
                source=Source.objects.create(name=f"Import source {i}"),
                original_name=f"batch-{i}.csv",
                status=ImportJob.Status.DONE,
                summary={"tips_created": i, "rejected_count": 0},
            )

    check_list_queries(
        client,
        personas.investigator,
        reverse("tips-import"),
        add,
        max_queries=11,
        expect_rows=lambda r, n: r.content.count(b"batch-") >= min(n, 20),  # the newest 20
    )
