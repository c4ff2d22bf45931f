"""`vigil sync_partner NAME [--limit N] [--json]`: pull what changed at a partner's Vigil.

Each batch is applied and the checkpoint moved in one transaction: stop it at
any point and the next run resumes from the last committed batch.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from vigil.exchange import sync
from vigil.exchange.management.commands._common import run_transfer
from vigil.lib.text import count


class Command(BaseCommand):
    help = "Pull new and changed records from a partner's Vigil instance."

    def add_arguments(self, parser):
        parser.add_argument("partner", metavar="NAME")
        parser.add_argument(
            "--limit", type=int, default=sync.DEFAULT_LIMIT, help="records per batch"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON summary")
        parser.add_argument("--user", help="act as this account (default: the shell operator)")

    def handle(self, *args, **opts):
        partner, totals = run_transfer(
            opts, sync.pull, checkpoint="The checkpoint stays at the last batch committed."
        )
        if opts["json"]:
            self.stdout.write(json.dumps(totals))
        else:
            self.stdout.write(
                f"{partner.name}: {totals['batches']} batch(es), {totals['records_read']} read, "
                f"{totals['created']} created, {totals['updated']} updated, {totals['unchanged']} unchanged, "
                f"{totals['deleted']} deleted, {count(totals['conflicts'], 'conflict')}, {len(totals['rejected'])} rejected"
            )
