import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vigil.accounts import actions
from vigil.audit.log import diff, record, snapshot
from vigil.core import request_context


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
        User = get_user_model()
        password = None
        if password_stdin:
            password = getpass.getpass("Password: ") if self.stdin_is_tty() else input().strip()
        fields = ["is_account_admin", "is_active", "locked_at", "disabled_reason"]
        with request_context.bind(via="cli"), transaction.atomic():
            user = User.objects.select_for_update().filter(username=username).first()
            created = user is None
            if created:
                user = User(username=username, email=email)
                before = {}
            else:
                before = snapshot(user, fields)
            user.is_account_admin = True
            user.is_active = True
            user.locked_at = None
            user.disabled_reason = ""
            generated = None
            if password:
                try:
                    validate_password(password, user)
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from None
            elif created:
                password = generated = actions.generate_password()
                user.must_change_password = True
            if password:
                user.set_password(password)
            user.save()
            if password and not created:
                record("password.reset", obj=user, actor_username="create_admin")
            record(
                "account.create" if created else "account.role_change",
                obj=user,
                actor_username="create_admin",
                changes=diff(before, snapshot(user, fields)),
                summary=f"administrator access {'created' if created else 'restored'} from the command line",
            )
        from axes.utils import reset

        reset(username=username)
        self.stdout.write(f"{username} is an administrator and can sign in.")
        if generated:
            self.stdout.write(f"Password (shown once): {generated}")

    def stdin_is_tty(self) -> bool:
        import sys

        return sys.stdin.isatty()
