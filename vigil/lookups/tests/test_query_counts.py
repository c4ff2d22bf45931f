"""The provider directory costs the same number of queries with 1 row as with 30."""

from __future__ import annotations

import itertools

from django.urls import reverse

from vigil.lookups import actions
from vigil.testing.queries import check_list_queries

_n = itertools.count(1)


def test_the_provider_directory_runs_a_fixed_number_of_queries(client, personas):
    def add(n):
        for _ in range(n):
            i = next(_n)
            p = actions.do_create_provider(actor=personas.manager, name=f"Provider {i}")
            actions.do_add_mapping(p, "email_domain", f"cable{i}.example", actor=personas.manager)
            actions.do_add_mapping(p, "asn", str(64500 + i), actor=personas.manager)

    check_list_queries(
        client,
        personas.reader,
        reverse("lookups-providers"),
        add,
        max_queries=15,
        expect_rows=lambda r, n: r.content.count(b"Provider ") >= n,
    )
