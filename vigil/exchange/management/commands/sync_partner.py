"""`vigil sync_partner NAME [--limit N] [--json]`: pull what changed at a partner's Vigil.

Each batch is applied and the checkpoint moved in one transaction: stop it at
any point and the next run resumes from the last committed batch.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.core import request_context
from vigil.exchange import actions, sync
from vigil.exchange.management.commands._common import actor_for, bar, messages
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
        actor = actor_for(opts.get("user"))
        try:
            partner = actions.partner_by_name(opts["partner"])
            with (
                request_context.bind(via="cli"),
                bar(partner.name, enabled=not opts["json"]) as update,
            ):
                totals = sync.pull(partner, actor=actor, limit=opts["limit"], progress=update)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(messages(exc)) from None
        except sync.SyncError as exc:
            raise CommandError(f"{exc} The checkpoint stays at the last batch committed.") from None
        if opts["json"]:
            self.stdout.write(json.dumps(totals))
        else:
            self.stdout.write(
                f"{partner.name}: {totals['batches']} batch(es), {totals['records_read']} read, "
                f"{totals['created']} created, {totals['updated']} updated, {totals['unchanged']} unchanged, "
                f"{totals['deleted']} deleted, {count(totals['conflicts'], 'conflict')}, {len(totals['rejected'])} rejected"
            )
