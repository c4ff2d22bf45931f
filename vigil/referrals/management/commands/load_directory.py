"""`vigil load_directory FILE --user NAME`: load field offices and agencies from CSV.

The format is in vigil/referrals/directory.py and docs/referrals.md; an example
ships as vigil/referrals/data/directory.example.csv.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from vigil.core import request_context
from vigil.referrals import directory


class Command(BaseCommand):
    help = "Load the directory of offices and outside agencies from a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--user", default="", help="the Manager the load is done as")

    def handle(self, *args, **opts):
        path = Path(opts["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if not opts["user"]:
            raise CommandError(
                "--user is required: the load is done as (and audited to) a Manager."
            )
        actor = get_user_model().objects.filter(username=opts["user"]).first()
        if actor is None:
            raise CommandError(f"no user {opts['user']!r}")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text") from None
        with request_context.bind(request_id=str(uuid.uuid4()), via="cli"):
            try:
                result = directory.load(text, actor=actor)
            except PermissionDenied:
                raise CommandError(
                    f"{actor.username} may not change the directory (Managers may)."
                ) from None
        if result.errors:
            raise CommandError(
                f"{path}: nothing loaded:\n" + "\n".join(f"  {e}" for e in result.errors)
            )
        self.stdout.write(f"{result.created} created, {result.updated} updated")
