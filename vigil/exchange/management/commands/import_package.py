"""`vigil import_package FILE [--json]`: import a partner's signed, encrypted package.

Refused, with nothing imported, when it is not addressed to us, was altered,
was signed by no registered partner, was imported before or is older than the
last one from that partner, or does not match its manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.core import request_context
from vigil.exchange import packages
from vigil.exchange.management.commands._common import actor_for, messages


class Command(BaseCommand):
    help = "Import a signed, encrypted package from a partner."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")
        parser.add_argument("--user", help="act as this account (default: the shell operator)")

    def handle(self, *args, **opts):
        actor = actor_for(opts.get("user"))
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            with request_context.bind(via="cli"):
                summary = packages.do_import_package(path, actor=actor)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(messages(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"Package {summary['sequence']} from {summary['partner']}: {summary['records_read']} read, "
                f"{summary['created']} created, {summary['updated']} updated, "
                f"{summary['unchanged']} unchanged, {len(summary['rejected'])} rejected."
            )
