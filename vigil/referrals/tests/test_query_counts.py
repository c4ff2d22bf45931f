"""Referral, directory and disclosure lists cost the same queries with 1 row as with 30."""

from __future__ import annotations

import itertools

from django.urls import reverse

from vigil.deconfliction.tests import factories as f
from vigil.referrals import actions
from vigil.referrals.models import Office
from vigil.testing.personas import make_user
from vigil.testing.queries import check_list_queries

from .conftest import office

_n = itertools.count(1)


def _referrals(n):
    for _ in range(n):
        i = next(_n)
        owner = make_user(f"inv{i}", "investigator")
        tip = f.tip(f"RF-{i}", assigned=owner, src=f.source(f"Source {i}"))
        to = office(f"office{i}", Office.Kind.FIELD_OFFICE, "US-NJ", name=f"Office {i}")
        actions.do_create_referral(tip, actor=owner, office=to)


def _offices(n):
    for _ in range(n):
        i = next(_n)
        office(f"dir{i}", Office.Kind.FIELD_OFFICE, f"US-NJ:county{i}", name=f"Office {i}")


def _disclosures(personas):
    def add(n):
        for _ in range(n):
            i = next(_n)
            actions.do_record_disclosure(
                records=[("tip", i)],
                recipient=f"Agency {i}",
                purpose="investigation",
                method="email",
                actor=make_user(f"discloser{i}", "manager"),
                office=office(f"to{i}", Office.Kind.FIELD_OFFICE, name=f"Office {i}"),
            )

    return add


def test_the_referral_list_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client,
        personas.reader,
        reverse("referrals-list"),
        _referrals,
        max_queries=14,  # +3: the read's audit row (issue 13 item 6)
        expect_rows=lambda r, n: r.content.count(b"RF-") >= n,
    )


def test_the_directory_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client,
        personas.reader,
        reverse("referrals-directory"),
        _offices,
        max_queries=11,
        expect_rows=lambda r, n: r.content.count(b"Office ") >= n,
    )


def test_the_disclosure_accounting_runs_a_fixed_number_of_queries(client, personas):
    check_list_queries(
        client,
        personas.reader,
        reverse("referrals-disclosures"),
        _disclosures(personas),
        max_queries=16,
        expect_rows=lambda r, n: r.content.count(b"Agency ") >= n,
    )
