"""`vigil import_vics PATH… --partner NAME [--json]`: import VICS files from a partner.

Each file is imported in one transaction (a file that is not valid JSON leaves
the data as it was); a bad record is rejected with its index and reason and the
rest goes on. `--json` prints, per run,
{"records_read", "created", "updated", "unchanged", "rejected": [{"index", "reason"}]}
(summed over the files; an index counts from the start of the first file).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.core import request_context
from vigil.exchange import actions
from vigil.exchange.management.commands._common import actor_for, bar, messages
from vigil.exchange.vics import VicsFormatError


class Command(BaseCommand):
    help = "Import VICS (Project VIC) JSON files received from a partner."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--partner", required=True, metavar="NAME")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")
        parser.add_argument("--user", help="act as this account (default: the shell operator)")

    def handle(self, *args, **opts):
        actor = actor_for(opts.get("user"))
        try:
            partner = actions.partner_by_name(opts["partner"])
        except ValidationError as exc:
            raise CommandError(messages(exc)) from None
        total = {"records_read": 0, "created": 0, "updated": 0, "unchanged": 0, "rejected": []}
        failed = []
        with request_context.bind(via="cli"):
            for raw in opts["paths"]:
                path = Path(raw)
                if not path.is_file():
                    failed.append(f"{raw}: no such file.")
                    continue
                offset = total["records_read"]
                try:
                    with path.open("rb") as fh, bar(path.name, enabled=not opts["json"]) as update:
                        summary = actions.do_import_vics(
                            fh, actor=actor, partner=partner, filename=path.name, progress=update
                        )
                except (VicsFormatError, ValidationError, PermissionDenied) as exc:
                    failed.append(f"{raw}: {messages(exc)} Nothing was imported from it.")
                    continue
                for key in ("records_read", "created", "updated", "unchanged"):
                    total[key] += summary[key]
                for rej in summary["rejected"]:
                    index = rej["index"] if rej["index"] is None else rej["index"] + offset
                    total["rejected"].append({"index": index, "reason": rej["reason"]})
                if not opts["json"]:
                    self.stdout.write(
                        f"{path.name}: {summary['records_read']} read, {summary['created']} created, "
                        f"{summary['updated']} updated, {summary['unchanged']} unchanged, "
                        f"{len(summary['rejected'])} rejected"
                    )
                    for rej in summary["rejected"][:50]:
                        self.stderr.write(f"  record {rej['index']}: {rej['reason']}")
        if opts["json"]:
            self.stdout.write(json.dumps(total))
        for line in failed:
            self.stderr.write(line)
        if failed:
            raise CommandError(f"{len(failed)} file(s) not imported.", returncode=1)
