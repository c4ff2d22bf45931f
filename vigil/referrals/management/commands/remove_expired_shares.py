"""`vigil remove_expired_shares`: delete share package files past SHARE_PACKAGE_HOURS."""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand

from vigil.core import request_context
from vigil.referrals import actions


class Command(BaseCommand):
    help = "Remove expired share packages (the accounting of disclosures stays)."

    def handle(self, *args, **opts):
        with request_context.bind(request_id=str(uuid.uuid4()), via="cli"):
            removed = actions.do_remove_expired_shares()
        self.stdout.write(f"{removed} expired package(s) removed")
