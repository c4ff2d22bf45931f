"""`vigil push_partner NAME --user NAME [--limit N] [--json]`: push our changes to a partner's Vigil.

What leaves is what that partner would pull, within what it may receive; `--user` names the
holder of the "may share" grant in whose name it is disclosed. The checkpoint moves only after
the partner acknowledged each batch: stop it at any point and the next run goes on from there.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from vigil.exchange import push, sync
from vigil.exchange.management.commands._common import run_transfer


class Command(BaseCommand):
    help = "Push new and changed records to a partner's Vigil instance."

    def add_arguments(self, parser):
        parser.add_argument("partner", metavar="NAME")
        parser.add_argument(
            "--limit", type=int, default=sync.DEFAULT_LIMIT, help="records per batch"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON summary")
        parser.add_argument("--user", help="the account that shares (holds “may share”)")

    def handle(self, *args, **opts):
        if not 1 <= opts["limit"] <= sync.MAX_LIMIT:
            raise CommandError(f"--limit must be between 1 and {sync.MAX_LIMIT}.")
        partner, totals = run_transfer(
            opts, push.push, checkpoint="The checkpoint stays at the last batch taken."
        )
        if opts["json"]:
            self.stdout.write(json.dumps(totals))
        else:
            self.stdout.write(
                f"{partner.name}: {totals['batches']} batch(es), {totals['records_sent']} record(s), "
                f"{totals['series_sent']} series, {totals['tombstones_sent']} deletion(s) pushed; "
                f"it created {totals['created']}, updated {totals['updated']}"
            )
