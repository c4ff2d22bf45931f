"""`vigil import_tips PATH`: bulk import of tips from a file (see docs/tips.md)."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.core import request_context
from vigil.tips import actions
from vigil.tips.importing import FORMATS, ImportFileError, import_file


class Command(BaseCommand):
    help = "Import tips from a CSV, XLSX, JSON, IP-list or CyberTipline XML file."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--source", default="", help="source name (for files without a source column)"
        )
        parser.add_argument("--format", default="auto", choices=["auto", *FORMATS])
        parser.add_argument(
            "--user", default="", help="the account the import is done as (investigator or manager)"
        )
        parser.add_argument(
            "--note", default="", help="background note shared by every tip of an IP list"
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, **opts):
        path = Path(opts["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        User = get_user_model()
        if not opts["user"]:
            raise CommandError("--user is required: imports are done as (and audited to) a person.")
        actor = User.objects.filter(username=opts["user"]).first()
        if actor is None:
            raise CommandError(f"no user {opts['user']!r}")
        source = None
        if opts["source"]:
            try:
                source = actions.get_or_refuse_source(opts["source"])
            except ValidationError as exc:
                raise CommandError(exc.messages[0]) from None
        bar = None
        if sys.stderr.isatty() and not opts["json"]:
            from tqdm import tqdm

            bar = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name)

        def progress(done: int, total: int) -> None:
            if bar is not None:
                if total and bar.total != total:
                    bar.total = total
                bar.n = done
                bar.refresh()

        with request_context.bind(request_id=str(uuid.uuid4()), via="cli"):
            try:
                summary = import_file(
                    path,
                    actor=actor,
                    fmt=opts["format"],
                    source=source,
                    note=opts["note"],
                    progress=progress,
                )
            except PermissionDenied:
                raise CommandError(
                    f"{actor.username} may not import tips (investigators and managers may)."
                ) from None
            except ImportFileError as exc:
                raise CommandError(str(exc)) from None
            finally:
                if bar is not None:
                    bar.close()
        if opts["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), indent=2, default=str))
        else:
            s = summary
            self.stdout.write(
                f"{path.name} ({s.format}): {s.rows_read} rows read, {s.tips_created} tips created, "
                f"{s.tips_updated} updated, {s.tips_unchanged} unchanged, {s.selectors} selectors, "
                f"{s.rejected_count} rejected, {s.flags} flags raised"
            )
            for w in s.warnings:
                self.stdout.write(self.style.WARNING(w))
            for r in s.rejected:
                self.stdout.write(f"  line {r['line']}: {r['reason']}")
            if s.rejected_count > len(s.rejected):
                self.stdout.write(f"  … and {s.rejected_count - len(s.rejected)} more")
        if summary.error:
            raise CommandError(summary.error)
