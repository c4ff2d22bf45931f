"""`vigil export_partner PARTNER --since DATE --out FILE`: a signed, encrypted package.

For a partner without a live connection: the records changed since DATE (and
series metadata, thumbnails, media where it may receive them), a manifest with
counts and hashes signed with this instance's Ed25519 key, the whole encrypted
to the partner's age key. Only an approved partner; only a "may share" user.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.core import request_context
from vigil.exchange import actions, packages
from vigil.exchange.management.commands._common import actor_for, messages, parse_since


class Command(BaseCommand):
    help = "Write a signed, encrypted package of records for one partner."

    def add_arguments(self, parser):
        parser.add_argument("partner", metavar="PARTNER")
        parser.add_argument("--since", metavar="DATE", help="records changed since (YYYY-MM-DD)")
        parser.add_argument("--out", required=True, metavar="FILE")
        parser.add_argument("--user", help="act as this account (default: the shell operator)")

    def handle(self, *args, **opts):
        actor = actor_for(opts.get("user"))
        since = parse_since(opts.get("since"))
        try:
            partner = actions.partner_by_name(opts["partner"])
            with request_context.bind(via="cli"):
                manifest = packages.build(partner, Path(opts["out"]), actor=actor, since=since)
        except (ValidationError, PermissionDenied, OSError) as exc:
            raise CommandError(messages(exc)) from None
        c = manifest["counts"]
        self.stdout.write(
            f"Package {manifest['sequence']} for {partner.name} written to {opts['out']}: "
            f"{c['records']} record(s), {c['series']} series, {c['thumbnails']} thumbnail(s), "
            f"{c['media']} media file(s)."
        )
