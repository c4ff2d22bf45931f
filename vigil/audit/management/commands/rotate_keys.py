"""Move everything encrypted or keyed under earlier master keys to the current one.

    VIGIL_FIELD_KEY_FILE=new.key VIGIL_FIELD_KEY_PREVIOUS_FILE=old.key vigil rotate_keys [--dry-run]

Each app that holds such data has a `keys.py` with `rotate(context, *, dry_run) -> dict[str, int]`
(tips: encrypted selectors and their keyed hashes; deconfliction: the keyed hashes its flags and
lists copied; victimid: the wrapped per-file media keys, re-wrapped without re-encrypting a
single media file). Apps run in INSTALLED_APPS order and share `context` (tips records the old →
new keyed hashes for deconfliction). Safe to run again: what is current already is left alone.
One audit row records the counts.
"""

from __future__ import annotations

import importlib
import uuid

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vigil.audit.log import record
from vigil.core import request_context
from vigil.lib import text
from vigil.lib.crypto import CryptoError


class Command(BaseCommand):
    help = "Re-wrap media keys, re-encrypt fields and re-key keyed hashes under the current key."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, dry_run: bool = False, **options):
        if not settings.FIELD_KEYS_PREVIOUS:
            self.stdout.write(
                "No previous key configured (VIGIL_FIELD_KEY_PREVIOUS or _FILE): "
                "everything is already under the current key."
            )
        context: dict = {}
        totals: dict[str, int] = {}
        try:
            with (
                request_context.bind(request_id=str(uuid.uuid4()), via="cli"),
                transaction.atomic(),
            ):
                for config in apps.get_app_configs():
                    if not config.name.startswith("vigil."):
                        continue
                    try:
                        module = importlib.import_module(f"{config.name}.keys")
                    except ModuleNotFoundError:
                        continue
                    rotate = getattr(module, "rotate", None)
                    if rotate is None:  # an app's keys.py about something else (partner keys)
                        continue
                    for name, count in rotate(context, dry_run=dry_run).items():
                        totals[f"{config.label}.{name}"] = count
                        self.stdout.write(
                            f"  {config.label}: {name}: {count}"
                            + (" (would change)" if dry_run else "")
                        )
                if not dry_run:
                    record(
                        "keys.rotate",
                        actor=None,
                        actor_username="rotate_keys",
                        summary="re-keyed under the current master key",
                        changes={k: {"before": None, "after": v} for k, v in totals.items()},
                    )
        except Exception as exc:
            if isinstance(exc, CryptoError):
                raise CommandError(
                    f"{exc} Nothing was changed. Is the old key in VIGIL_FIELD_KEY_PREVIOUS?"
                ) from None
            raise
        done = sum(totals.values())
        if dry_run:
            self.stdout.write(f"Would re-key {text.count(done, 'item')}.")
        else:
            self.stdout.write(
                f"Re-keyed {text.count(done, 'item')}. Everything is under the current key: "
                "remove VIGIL_FIELD_KEY_PREVIOUS."
            )
