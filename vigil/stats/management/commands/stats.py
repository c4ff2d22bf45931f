"""`vigil stats --from 2026-01 --to 2026-10 [--json]`: the monthly figures.

JSON: {"months": [{"month": "2026-01", "tips_received": N, …}, …], "totals": {…}};
every month of the period appears, with zeros when nothing happened. Months are
UTC, tips counted by their received time.
"""

from __future__ import annotations

import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from vigil.audit.log import record
from vigil.core import request_context
from vigil.stats import registry


class Command(BaseCommand):
    help = "Print the monthly statistics for a period of months (UTC)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="start", help="first month, YYYY-MM (default: 11 months ago)"
        )
        parser.add_argument("--to", dest="end", help="last month, YYYY-MM (default: this month)")
        parser.add_argument("--json", action="store_true", help="JSON output")

    def handle(self, *args, **options):
        try:
            default = registry.Period.last_months(12)
            period = registry.Period(
                registry.parse_month(options["start"], name="--from")
                if options["start"]
                else default.first,
                registry.parse_month(options["end"], name="--to")
                if options["end"]
                else default.last,
            )
        except registry.PeriodError as exc:
            raise CommandError(str(exc)) from None
        with request_context.bind(request_id=str(uuid.uuid4()), via="cli"):
            report = registry.compute(period)
            record("stats.report", summary=f"statistics {period} (command line)")
        data = report.as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self._table(report, data)

    def _table(self, report: registry.Report, data: dict) -> None:
        months = [row["month"] for row in data["months"]]
        width = max([len(f.label) for f in report.figures] + [10])
        self.stdout.write(" " * (width + 2) + "".join(f"{m:>9}" for m in months) + f"{'total':>10}")
        for f in report.figures:
            if f.kind == "breakdown":
                self.stdout.write(f.label)
                for key in data["totals"][f.key]:
                    cells = "".join(f"{row[f.key][key]:>9}" for row in data["months"])
                    self.stdout.write(
                        f"  {key[:width]:<{width}}{cells}{data['totals'][f.key][key]:>10}"
                    )
                continue
            cells = "".join(f"{_cell(row[f.key]):>9}" for row in data["months"])
            self.stdout.write(
                f"{f.label[:width]:<{width + 2}}{cells}{_cell(data['totals'][f.key]):>10}"
            )


def _cell(value) -> str:
    return "–" if value is None else str(value)
