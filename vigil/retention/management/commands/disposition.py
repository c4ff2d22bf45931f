"""`vigil disposition [--kind tip|series|media] [--json]`: records past retention, and their holds.

Read-only: deletion is a Manager's proposal approved by a second Manager on
the disposition page; no command deletes a record.
"""

from __future__ import annotations

import json
import uuid

from django.core.management.base import BaseCommand

from vigil.audit.log import record
from vigil.core import request_context
from vigil.retention import rules
from vigil.retention.models import DELETABLE


class Command(BaseCommand):
    help = (
        "List the records past retention (read-only; deletion is approved on the disposition page)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=[k.value for k in DELETABLE], default="tip")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        kind = options["kind"]
        rows = []
        with request_context.bind(request_id=str(uuid.uuid4()), via="cli"):
            qs = rules.past_retention(kind).order_by("last_activity", "pk")
            for obj in qs.iterator(chunk_size=500):
                rows.append(
                    {
                        "kind": kind,
                        "id": obj.pk,
                        "last_activity": obj.last_activity.isoformat(),
                        "holds": rules.holds_on(kind, obj.pk),
                    }
                )
            record("retention.disposition_list", summary=f"{kind}: {len(rows)} past retention")
        if options["json"]:
            self.stdout.write(json.dumps({"cutoff": rules.cutoff().isoformat(), "records": rows}))
            return
        self.stdout.write(
            f"Past retention (last activity before {rules.cutoff():%Y-%m-%d}): {len(rows)}"
        )
        for r in rows:
            held = f"  HELD: {', '.join(r['holds'])}" if r["holds"] else ""
            self.stdout.write(
                f"{r['kind']} #{r['id']}  last activity {r['last_activity'][:10]}{held}"
            )
