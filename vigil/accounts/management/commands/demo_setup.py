"""Create demo accounts (one per role, passwords printed once) and demo data.

Idempotent: a second run creates nothing and prints no passwords. Each app
may contribute synthetic data through a `demo.load(actor)` function (and set up
reference data first through `demo.prepare(actor)`, run for every app before any load).
"""

import importlib

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from vigil.accounts import actions
from vigil.accounts.models import Role

DEMO_ACCOUNTS = [
    ("investigator", Role.INVESTIGATOR, False),
    ("investigator2", Role.INVESTIGATOR, False),
    ("reader", Role.READER, False),
    ("manager", Role.MANAGER, False),
    ("admin", Role.NONE, True),
]


class Command(BaseCommand):
    help = "Create demo accounts and load synthetic demo data (local demo only)."

    def handle(self, *args, **options):
        User = get_user_model()
        created = []
        with transaction.atomic():
            for username, role, admin in DEMO_ACCOUNTS:
                made = actions.do_create_demo_account(username, role=role, is_account_admin=admin)
                if made is not None:
                    user, password = made
                    created.append((username, user.role_label, password))
        if created:
            self.stdout.write(
                self.style.WARNING("Demo accounts (passwords are shown once, write them down):")
            )
            for username, label, password in created:
                self.stdout.write(f"  {username:<14} {label:<24} {password}")
        else:
            self.stdout.write(
                "Demo accounts exist already (passwords were printed when they were created)."
            )
        actor = User.objects.get(username="manager")
        modules = []
        for config in apps.get_app_configs():
            if not config.name.startswith("vigil."):
                continue
            try:
                modules.append((config, importlib.import_module(f"{config.name}.demo")))
            except ModuleNotFoundError:
                continue
        # `prepare` runs for every app before any `load`: reference data another app's
        # demo records depend on (the deconfliction warning list) is set first.
        for config, module in modules:
            prepare = getattr(module, "prepare", None)
            summary = prepare(actor) if prepare else ""
            if summary:
                self.stdout.write(f"  demo set-up: {config.label}: {summary}")
        for config, module in modules:
            load = getattr(module, "load", None)
            summary = load(actor) if load else ""
            if summary:
                self.stdout.write(f"  demo data: {config.label}: {summary}")
        self.stdout.write("Open http://127.0.0.1:8000 and sign in.")
