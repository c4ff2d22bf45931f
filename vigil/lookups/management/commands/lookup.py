"""`vigil lookup [IP …] [--file F] --json`: who owns these IPs, from the offline range database."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vigil.audit.log import record
from vigil.lookups import ranges


class Command(BaseCommand):
    help = "Look IPs up in the offline range database (works air-gapped)."

    def add_arguments(self, parser):
        parser.add_argument("ips", nargs="*", metavar="IP")
        parser.add_argument("--file", default="", help="a file with one IP per line ('-': stdin)")
        parser.add_argument("--json", action="store_true", help="print the results as JSON")

    def handle(self, *args, **opts):
        ips = list(opts["ips"])
        if opts["file"]:
            if opts["file"] == "-":
                lines = sys.stdin.read().splitlines()
            else:
                path = Path(opts["file"])
                if not path.is_file():
                    raise CommandError(f"{path}: no such file")
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            ips += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        if not ips:
            raise CommandError("give IP addresses or --file F")
        try:
            results = ranges.lookup_many(ips)
        except ranges.BadIP as exc:
            raise CommandError(
                f"{exc} (positions count the arguments, then the file's lines)"
            ) from None
        record(
            "lookups.lookup",
            actor_username=f"cli:{getpass.getuser()}",
            object_type="lookups.iprange",
            changes={"count": len(ips)},
            summary=f"offline look-up of {len(ips):,} IP(s)",
        )
        if opts["json"]:
            self.stdout.write(json.dumps(results, indent=2))
            return
        for r in results:
            if r["source"] is None:
                self.stdout.write(f"{r['ip']}\t(no range covers it)")
            else:
                asn = f"AS{r['asn']}" if r["asn"] else "-"
                self.stdout.write(
                    f"{r['ip']}\t{asn}\t{r['country'] or '-'}\t{r['owner'] or '-'}\t"
                    f"{r['range_start']}-{r['range_end']}\t{r['source']} {r['as_of']}"
                )
