"""`vigil hash PATH… [--jobs N] [--json]`: MD5, SHA-1, SHA-256 and PDQ of files
(folders recursed, ZIP archives member by member), on all cores by default."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from vigil.victimid.hashing import default_jobs
from vigil.victimid.management.commands._common import hash_entries, progress, walk


class Command(BaseCommand):
    # The system checks import every URL and view (WeasyPrint among them): seconds of
    # start-up a hashing command does not need. `vigil check` still runs them.
    requires_system_checks: list[str] = []
    help = "Hash files: MD5, SHA-1, SHA-256 of the bytes, PDQ and its quality for images."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="processes hashing at once (default: all cores)",
        )

    def handle(self, *args, **opts):
        jobs = default_jobs() if opts["jobs"] is None else opts["jobs"]
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        entries = list(walk(opts["paths"]))
        out, errors = [], 0
        results = hash_entries(entries, jobs=jobs)
        for shown, h, error in progress(results, total=len(entries), desc="hashing", enabled=True):
            if error:
                errors += 1
                self.stderr.write(f"{shown}: {error}")
                continue
            row = {
                "path": shown,
                "md5": h.md5,
                "sha1": h.sha1,
                "sha256": h.sha256,
                "pdq": h.pdq or None,
                "pdq_quality": h.quality,
            }
            out.append(row)
            if not opts["json"]:
                q = "" if h.quality is None else f" q={h.quality}"
                low = " (low quality)" if h.low_quality else ""
                self.stdout.write(f"{shown}\n  md5 {h.md5}\n  sha1 {h.sha1}\n  sha256 {h.sha256}")
                if h.pdq:
                    self.stdout.write(f"  pdq {h.pdq}{q}{low}")
                if h.frames:
                    self.stdout.write(f"  vpdq {len(h.frames)} frame hash(es)")
        if opts["json"]:
            self.stdout.write(json.dumps(out, indent=2))
        if errors:
            raise CommandError(f"{errors} path(s) could not be hashed (see above).", returncode=1)
