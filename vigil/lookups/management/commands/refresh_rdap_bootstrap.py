"""`vigil refresh_rdap_bootstrap [--url BASE] [--json]`: fetch IANA's RDAP bootstrap files."""

from __future__ import annotations

import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from vigil.audit.log import record
from vigil.lib import http
from vigil.lookups import rdap


class Command(BaseCommand):
    help = (
        "Fetch the IANA RDAP bootstrap files (asn, dns, ipv4, ipv6) through the outbound "
        "wrapper; each must validate or nothing is replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="", help="base URL (default: settings.RDAP_BOOTSTRAP_URL)"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        try:
            info = rdap.refresh_bootstrap(opts["url"] or None)
        except (http.OutboundError, rdap.BootstrapError) as exc:
            raise CommandError(f"{exc} The shipped or previous files stay in use.") from None
        record(
            "lookups.bootstrap_refresh",
            actor_username=f"cli:{getpass.getuser()}",
            object_type="lookups.bootstrap",
            changes={"files": info},
            summary="RDAP bootstrap files refreshed",
        )
        if opts["json"]:
            self.stdout.write(json.dumps(info, indent=2))
        else:
            for i in info:
                self.stdout.write(f"{i['kind']}.json: {i['origin']}, published {i['publication']}")
