import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.accounts import actions


class Command(BaseCommand):
    help = (
        "Create the first administrator, or restore administrator access to an account "
        "(enable, unlock, set the administrator flag). For operators on the server; audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input instead of generating one",
        )

    def handle(self, *args, username, email, password_stdin, **options):
        password = None
        if password_stdin:
            password = getpass.getpass("Password: ") if self.stdin_is_tty() else input().strip()
        try:
            _user, _created, generated = actions.do_restore_admin(
                username, email=email, password=password
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{username} is an administrator and can sign in.")
        if generated:
            self.stdout.write(f"Password (shown once): {generated}")

    def stdin_is_tty(self) -> bool:
        import sys

        return sys.stdin.isatty()
