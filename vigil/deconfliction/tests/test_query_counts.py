"""Flag and link lists cost the same number of queries with 1 row as with 30 (no N+1)."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from vigil.deconfliction import actions
from vigil.deconfliction.models import Flag
from vigil.deconfliction.tests import factories as f
from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries
from vigil.tips.models import ImportJob, Tip

pytestmark = pytest.mark.django_db

_n = itertools.count(1)


def _pairs(n):
    """n flags, each between two tips of their own (own source, own assignee)."""
    for _ in range(n):
        i = next(_n)
        owner = make_user(f"inv{i}", "investigator")
        a = f.tip(f"A-{i}", assigned=owner, src=f.source(f"Source A{i}"))
        b = f.tip(f"B-{i}", src=f.source(f"Source B{i}"))
        f.add(a, "email", f"shared{i}@example.org")
        f.add(b, "email", f"Shared{i}@example.org")


def _flags_of_one_tip(tip):
    """n more flags on `tip`: each with another tip sharing another value."""

    def add(n):
        for _ in range(n):
            i = next(_n)
            other = f.tip(f"O-{i}", assigned=make_user(f"own{i}", "investigator"))
            f.add(tip, "phone", f"+1 202 555 {i:04d}")
            f.add(other, "phone", f"(202) 555-{i:04d}")

    return add


def _links(personas):
    def add(n):
        _pairs(n)
        for flag in Flag.objects.filter(status=Flag.Status.OPEN):
            actions.do_link_tips(flag, note="same person", actor=personas.manager)

    return add


def test_the_flags_page_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client,
        personas.reader,
        reverse("deconfliction-flags"),
        _pairs,
        max_queries=15,  # +4: the read's audit row (issue 13 item 6; PostgreSQL's lock)
        expect_rows=lambda r, n: r.content.count(b"B-") >= n,
    )


def test_the_flags_page_of_one_import_batch_runs_a_fixed_number_of_queries(client, personas):
    job = ImportJob.objects.create(created_by=personas.manager, original_name="b.csv")

    def add(n):
        _pairs(n)
        Tip.objects.filter(source_reference__startswith="B-").update(import_job=job)

    check_list_queries(
        client,
        personas.reader,
        reverse("deconfliction-flags"),
        add,
        params={"batch": job.pk},
        max_queries=15,
        expect_rows=lambda r, n: r.content.count(b"B-") >= n,
    )


def test_the_tip_flags_panel_runs_a_fixed_number_of_queries(client, personas):
    tip = f.tip("MAIN-1", assigned=personas.investigator)
    check_list_queries(
        client,
        personas.investigator,
        reverse("deconfliction-tip-panel", args=[tip.pk]),
        _flags_of_one_tip(tip),
        max_queries=18,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: r.content.count(b"O-") >= n,
    )


def test_the_tip_page_of_flags_runs_a_fixed_number_of_queries(client, personas):
    tip = f.tip("MAIN-1", assigned=personas.investigator)
    check_list_queries(
        client,
        personas.investigator,
        reverse("deconfliction-tip", args=[tip.pk]),
        _flags_of_one_tip(tip),
        max_queries=20,  # +3: the read's audit row (issue 13 item 6)
    )


def test_the_cluster_runs_a_fixed_number_of_queries(client, personas):
    tip = f.tip("MAIN-1", assigned=personas.investigator)
    grow = _flags_of_one_tip(tip)

    def add(n):
        grow(n)
        for flag in Flag.objects.filter(status=Flag.Status.OPEN):
            actions.do_link_tips(flag, note="same person", actor=personas.manager)

    for name in ("deconfliction-cluster", "deconfliction-cluster-json"):
        check_list_queries(
            client, personas.reader, reverse(name, args=[tip.pk]), add, max_queries=19
        )


def test_the_flags_api_runs_a_fixed_number_of_queries(personas):
    check_list_queries(
        APIClient(),
        personas.reader,
        reverse("api-deconfliction-flags"),
        _pairs,
        token=True,
        max_queries=8,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: r.json()["count"] == n,
    )


def test_the_links_api_runs_a_fixed_number_of_queries(personas):
    check_list_queries(
        APIClient(),
        personas.reader,
        reverse("api-deconfliction-links"),
        _links(personas),
        token=True,
        max_queries=8,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: r.json()["count"] == n,
    )


def test_the_cluster_api_runs_a_fixed_number_of_queries(personas):
    tip = f.tip("MAIN-1", assigned=personas.investigator)
    grow = _flags_of_one_tip(tip)

    def add(n):
        grow(n)
        for flag in Flag.objects.filter(status=Flag.Status.OPEN):
            actions.do_link_tips(flag, note="same person", actor=personas.manager)

    check_list_queries(
        APIClient(),
        personas.reader,
        reverse("api-deconfliction-cluster", args=[tip.pk]),
        add,
        token=True,
        max_queries=12,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: len(r.json()["tips"]) == n + 1,
    )
