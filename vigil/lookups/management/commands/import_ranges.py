"""`vigil import_ranges FILE [--source NAME] --json`: load an iptoasn ip2asn TSV (or .tsv.gz)."""

from __future__ import annotations

import getpass
import json
import sys
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vigil.core import request_context
from vigil.lookups import actions, ranges


class Command(BaseCommand):
    help = (
        "Load an iptoasn ip2asn TSV into the offline range database, replacing that source's load."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", default=ranges.DEFAULT_SOURCE, help="source name")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        bar = None
        if sys.stderr.isatty() and not opts["json"]:
            from tqdm import tqdm

            bar = tqdm(unit=" ranges", desc=path.name)

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total
                bar.n = done
                bar.refresh()

        try:
            with request_context.bind(request_id=str(uuid.uuid4()), via="cli"):
                summary = actions.do_import_ranges(
                    path,
                    source=opts["source"],
                    actor_username=f"cli:{getpass.getuser()}",
                    progress=progress,
                )
        except ranges.RangeFileError as exc:
            raise CommandError(f"{path.name}: {exc}; nothing was changed") from None
        finally:
            if bar is not None:
                bar.close()
        if opts["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        else:
            self.stdout.write(
                f"{summary['ranges']:,} ranges ({summary['ipv4']:,} IPv4, {summary['ipv6']:,} IPv6) "
                f"loaded into {summary['source']} as of {summary['as_of']}, "
                f"replacing {summary['replaced']:,}"
            )
