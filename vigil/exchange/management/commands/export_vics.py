"""`vigil export_vics --out FILE [--version 1.3|2.0] [--partner NAME] [--since DATE]`.

Writes the records that may leave: confirmed media and partners' hash records.
With --partner, only an approved partner, within what it may receive (hash
records only: no series name). Audited and counted as a disclosure.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.core import request_context
from vigil.exchange import actions
from vigil.exchange.management.commands._common import actor_for, bar, messages, parse_since


class Command(BaseCommand):
    help = "Export the repository's hash records as a VICS (Project VIC) JSON file."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version is the VICS version here, not Django's "show the version".
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="FILE")
        parser.add_argument("--version", default="2.0", choices=["1.2", "1.3", "2.0"])
        parser.add_argument("--partner", metavar="NAME")
        parser.add_argument(
            "--since", metavar="DATE", help="only records changed since (YYYY-MM-DD)"
        )
        parser.add_argument("--user", help="act as this account (default: the shell operator)")

    def handle(self, *args, **opts):
        actor = actor_for(opts.get("user"))
        since = parse_since(opts.get("since"))
        partner = None
        try:
            if opts.get("partner"):
                partner = actions.partner_by_name(opts["partner"])
            actions.check_may_send(partner, actor)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(messages(exc)) from None
        out = Path(opts["out"])
        tmp = out.with_name(out.name + ".part")
        try:
            with request_context.bind(via="cli"), tmp.open("w", encoding="utf-8") as fh:
                with bar(out.name, enabled=True) as update:
                    n = actions.do_export_vics(
                        fh,
                        actor=actor,
                        partner=partner,
                        version=opts["version"],
                        since=since,
                        progress=update,
                    )
        except (ValidationError, PermissionDenied, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise CommandError(messages(exc)) from None
        os.replace(tmp, out)
        self.stdout.write(f"{n} record(s) written to {out} (VICS {opts['version']}).")
