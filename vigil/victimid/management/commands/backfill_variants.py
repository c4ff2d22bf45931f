"""`vigil backfill_variants [--json]`: give the repository's stored images their extra
PDQ hashes (trimmed borders, sub-windows: vigil/lib/pdq_variants.py).

Images stored before those hashes existed, or under an older window set
(``pdq_variants.VERSION``), are found by crops and borders only once they have them.
Each image is decrypted, decoded and hashed again from its stored file, one transaction
each: the command can be interrupted and run again, and a second run finds nothing to do.
One audit row (``media.variants``) per run with its counts. A progress bar is shown on a
terminal. Exit status 1 when a stored file could not be read (listed on stderr).
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from vigil.victimid import actions
from vigil.victimid.actions.variants import pending_variants


class Command(BaseCommand):
    help = "Compute the extra PDQ hashes (trimmed, sub-windows) of stored images missing them."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args, **opts):
        bar = None
        if sys.stderr.isatty():
            # Deferred: tqdm is only needed on a terminal.
            from tqdm import tqdm

            bar = tqdm(total=pending_variants().count(), desc="variants", unit="image")
        try:
            done = actions.do_backfill_variants(
                actor=None, on_item=(lambda _m: bar.update(1)) if bar is not None else None
            )
        finally:
            if bar is not None:
                bar.close()
        for mid in done.unreadable:
            self.stderr.write(f"media M-{mid}: its stored file cannot be read or decoded")
        if opts["json"]:
            self.stdout.write(json.dumps(done.as_dict()))
        else:
            self.stdout.write(
                f"{done.media} image(s) given extra hashes (version {done.as_dict()['version']}, "
                f"{done.hashes} hashes); {len(done.unreadable)} unreadable."
            )
        if done.unreadable:
            raise CommandError(
                f"{len(done.unreadable)} stored file(s) could not be read.", returncode=1
            )
