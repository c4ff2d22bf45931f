"""`vigil hash PATH… [--json]`: MD5, SHA-1, SHA-256 and PDQ of files (folders recursed)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from vigil.victimid.hashing import MediaError, hash_path
from vigil.victimid.management.commands._common import progress, walk


class Command(BaseCommand):
    help = "Hash files: MD5, SHA-1, SHA-256 of the bytes, PDQ and its quality for images."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args, **opts):
        entries = list(walk(opts["paths"]))
        out, errors = [], 0
        for shown, path, error in progress(
            entries, total=len(entries), desc="hashing", enabled=True
        ):
            if path is not None:
                try:
                    h = hash_path(path)
                except MediaError as exc:
                    error = exc.message
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
