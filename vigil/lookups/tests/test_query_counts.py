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


def identifiers_with_providers(personas, tip):
    """add(n): n more IPs (10.i.0.1, observed) and e-mails (user@maili.example) on `tip`, each
    with its own provider (mapped by AS 64600+i and by the e-mail domain)."""
    from django.utils import timezone

    from vigil.tips import actions as tip_actions

    numbers = itertools.count(1)

    def add(n):
        for _ in range(n):
            i = next(numbers)
            p = actions.do_create_provider(actor=personas.manager, name=f"Provider {i}")
            actions.do_add_mapping(p, "asn", str(64600 + i), actor=personas.manager)
            actions.do_add_mapping(p, "email_domain", f"mail{i}.example", actor=personas.manager)
            tip_actions.do_add_selectors(
                tip,
                [
                    tip_actions.SelectorInput("ip", f"10.{i}.0.1", observed_at=timezone.now()),
                    tip_actions.SelectorInput("email", f"user@mail{i}.example"),
                ],
                actor=personas.manager,
            )

    return add


def test_the_tips_lookups_panel_runs_a_fixed_number_of_queries(client, personas, tmp_path):
    """Each IP and e-mail of the tip proposes its own provider: one query for them all."""
    from io import StringIO

    from django.core.management import call_command

    from vigil.tips import actions as tip_actions
    from vigil.tips.models import Source

    # 39 networks in the offline database, AS 64601-64639 (mapped by identifiers_with_providers).
    lines = [f"10.{i}.0.0\t10.{i}.255.255\t{64600 + i}\tUS\tNET-{i}\n" for i in range(1, 40)]
    (tmp_path / "ranges.tsv").write_text("".join(lines))
    call_command("import_ranges", str(tmp_path / "ranges.tsv"), stdout=StringIO())
    tip = tip_actions.do_create_tip(
        actor=personas.manager, source=Source.objects.create(name="S"), source_reference="Q-1"
    )
    check_list_queries(
        client,
        personas.reader,
        reverse("lookups-tip-panel", args=[tip.pk]),
        identifiers_with_providers(personas, tip),
        max_queries=18,
        expect_rows=lambda r, n: r.content.count(b"Provider ") >= 2 * n,
    )
