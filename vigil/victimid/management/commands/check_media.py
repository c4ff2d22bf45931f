"""`vigil check_media [--sample N]`: decrypt stored media files and check each one's SHA-256.

After a restore (docs/operations.md) this proves the data folder, the database and the key
belong together. Exit status 1 when any file is missing, cannot be decrypted or differs.
"""

from __future__ import annotations

import hashlib

from django.core.management.base import BaseCommand, CommandError

from vigil.lib.crypto import CryptoError
from vigil.victimid import storage
from vigil.victimid.models import Media


class Command(BaseCommand):
    help = "Decrypt stored media files and verify their SHA-256 (all, or a random sample)."

    def add_arguments(self, parser):
        parser.add_argument("--sample", type=int, default=0, help="only N random files")

    def handle(self, *args, sample: int = 0, **options):
        rows = Media.objects.exclude(stored_path="").exclude(wrapped_key__isnull=True)
        if sample > 0:
            rows = rows.order_by("?")[:sample]
        checked, bad = 0, []
        for media in rows.only("id", "stored_path", "wrapped_key", "sha256").iterator():
            checked += 1
            try:
                data = storage.read(media.stored_path, media.wrapped_key)
            except (OSError, CryptoError) as exc:
                bad.append(f"media {media.pk}: {exc}")
                continue
            if hashlib.sha256(data).hexdigest() != media.sha256:
                bad.append(f"media {media.pk}: decrypted, but its SHA-256 differs")
        for line in bad:
            self.stderr.write(line)
        if bad:
            raise CommandError(f"{len(bad)} of {checked} media file(s) failed.")
        self.stdout.write(f"{checked} media file(s) decrypted, SHA-256 verified.")
