"""`vigil expire_exports [--days N]`: remove export packages nobody downloaded in time."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vigil.victimid.actions import purge_expired_exports


class Command(BaseCommand):
    help = (
        "Remove one-time export packages older than VIGIL_EXPORT_PACKAGE_DAYS "
        "(default 7). Workers also do this every hour."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=None, help="override the setting")

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        if days is not None and days < 0:
            raise CommandError("--days must be zero or more.")
        removed = purge_expired_exports(days=days)
        keep = settings.EXPORT_PACKAGE_DAYS if days is None else days
        self.stdout.write(f"{removed} export package(s) older than {keep} day(s) removed.")
