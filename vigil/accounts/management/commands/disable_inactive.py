from django.conf import settings
from django.core.management.base import BaseCommand

from vigil.accounts import actions, auth
from vigil.core import request_context


class Command(BaseCommand):
    help = (
        "Disable accounts with no sign-in or activity for ACCOUNT_INACTIVE_DAYS days "
        "(VIGIL_ACCOUNT_INACTIVE_DAYS, default 90). Each one is audited. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list the accounts, change nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        days = settings.ACCOUNT_INACTIVE_DAYS
        accounts = list(actions.inactive_accounts())
        with request_context.bind(via="cli"):
            for user in accounts:
                last = user.last_activity.strftime("%Y-%m-%d")
                if dry_run:
                    self.stdout.write(f"would disable {user.username} (last activity {last})")
                    continue
                auth.disable_inactive(user)
                self.stdout.write(f"disabled {user.username} (last activity {last})")
        verb = "would be disabled" if dry_run else "disabled"
        self.stdout.write(f"{len(accounts)} account(s) inactive for {days}+ days {verb}.")
