from django.core.management.base import BaseCommand, CommandError

from vigil.audit.log import verify


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit non-zero naming the first broken event."

    def handle(self, *args, **options):
        count, broken, reason = verify()
        if broken is not None:
            raise CommandError(
                f"audit chain broken at event #{broken.id} ({broken.at:%Y-%m-%d %H:%M:%S} UTC, "
                f"{broken.action}): {reason}. {count} events before it verified."
            )
        self.stdout.write(f"audit chain intact: {count} events verified.")
