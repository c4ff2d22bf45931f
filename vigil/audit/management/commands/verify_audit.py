from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vigil.audit import head
from vigil.audit.log import record
from vigil.audit.models import AuditEvent
from vigil.audit.verify import verify_chain

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Walk the audit chain and its head (kept outside the database); exit non-zero "
        "naming every break and what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-head",
            action="store_true",
            help="after an investigation: record the findings as an audit event and "
            "write a new chain head naming it (the old head is replaced)",
        )

    def handle(self, *args, **options):
        report = verify_chain()
        if options["reset_head"]:
            return self._reset_head(report)
        if not report.intact:
            lines = [str(p) for p in report.problems[:SHOWN]]
            if len(report.problems) > SHOWN:
                lines.append(f"… and {len(report.problems) - SHOWN} more problems.")
            raise CommandError(
                f"audit chain broken: {len(report.problems)} problem(s) in "
                f"{report.checked} events checked.\n  " + "\n  ".join(lines)
            )
        self.stdout.write(f"audit chain intact: {report.checked} events verified.")
        if report.legacy:
            self.stdout.write(
                f"  {report.legacy} legacy event(s) before #{report.boundary} carry no MAC (written "
                "before audit MACs existed): they are covered by the hash chain and, through it, "
                f"by the MAC of #{report.boundary}; a change made before that event was written "
                "cannot be detected."
                if report.boundary
                else f"  {report.legacy} legacy event(s) carry no MAC (written before audit MACs "
                "existed); the next event written will seal them."
            )
        if report.head is not None:
            self.stdout.write(f"  chain head: #{report.head.id} (key {report.head.key}).")
        if report.after_head:
            self.stdout.write(
                f"  {report.after_head} event(s) after the head, MACs checked (written while "
                "this ran, or the head update was interrupted; the next event moves it)."
            )

    def _reset_head(self, report):
        findings = "; ".join(str(p) for p in report.problems)[:280] or "no problems found"
        with transaction.atomic():
            event = record(
                "audit.head_reset",
                object_type="audit.auditevent",
                summary=findings,
                changes={
                    "head": {
                        "before": report.head.id if report.head else None,
                        "after": "this event",
                    },
                    "problems": {"before": len(report.problems), "after": 0},
                },
            )
        since = (
            AuditEvent.objects.exclude(mac="").order_by("id").values_list("id", flat=True).first()
        )
        head.reset(event.id, event.hash, event.mac, since or event.id)
        self.stdout.write(
            f"recorded #{event.id} (audit.head_reset: {findings}); the chain head now names it."
        )
