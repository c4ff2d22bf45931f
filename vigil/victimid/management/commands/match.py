"""`vigil match PATH… [--threshold N] [--dihedral] [--jobs N] [--json]`: look files up in the
series repository. Takes what the web form takes: files, folders and ZIP archives."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vigil.audit.log import record
from vigil.core import request_context
from vigil.victimid import matching
from vigil.victimid.hashing import default_jobs
from vigil.victimid.management.commands._common import hash_entries, progress, walk


class Command(BaseCommand):
    # The system checks import every URL and view (WeasyPrint among them): seconds of
    # start-up a hashing command does not need. `vigil check` still runs them.
    requires_system_checks: list[str] = []
    help = "Match files against the media of every series (exact hashes and PDQ)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--threshold",
            type=int,
            default=None,
            help="largest PDQ distance that matches (default: VIGIL_PDQ_THRESHOLD, 31)",
        )
        parser.add_argument(
            "--dihedral", action="store_true", help="also try the 8 rotations and flips"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="processes hashing at once (default: all cores)",
        )

    def handle(self, *args, **opts):
        threshold = opts["threshold"]
        if threshold is not None and not 0 <= threshold <= matching.MAX_THRESHOLD:
            raise CommandError(f"--threshold must be between 0 and {matching.MAX_THRESHOLD}.")
        jobs = default_jobs() if opts["jobs"] is None else opts["jobs"]
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        entries = list(walk(opts["paths"]))
        items, errors = [], 0
        with request_context.bind(via="cli"):
            results = hash_entries(entries, jobs=jobs, dihedral=opts["dihedral"], variants="query")
            for shown, h, error in progress(
                results, total=len(entries), desc="matching", enabled=True
            ):
                if not error:
                    q = matching.query_from_hashed(h)
                    if h.kind == "image" and Path(shown).is_file():  # not a ZIP member
                        # Read again only if the verifier has a candidate to check.
                        q.image = functools.partial(Path(shown).read_bytes)
                if error:
                    errors += 1
                    self.stderr.write(f"{shown}: {error}")
                    continue
                found = matching.match(q, threshold=threshold, refresh=not items)
                items.append(
                    {
                        "path": shown,
                        "md5": h.md5,
                        "pdq": h.pdq or None,
                        "pdq_quality": h.quality,
                        "matches": [
                            {
                                "series": m["series"],
                                "media": m["media"],
                                "method": m["method"],
                                "distance": m["distance"],
                            }
                            for m in found
                        ],
                    }
                )
                if not opts["json"]:
                    self.stdout.write(f"{shown}: {len(found)} match(es)")
                    if h.low_quality:
                        self.stdout.write("  low quality: not matched perceptually")
                    for m in found:
                        self.stdout.write(
                            f"  {m['method']:<6} distance {m['distance']:>3}  series {m['series']!r}  media M-{m['media']}"
                        )
            record(
                "media.match_cli",
                actor_username="cli",
                summary=f"{len(items)} file(s) matched from the command line",
            )
        if opts["json"]:
            self.stdout.write(json.dumps({"items": items}, indent=2))
        if errors:
            raise CommandError(f"{errors} path(s) could not be matched (see above).", returncode=1)
