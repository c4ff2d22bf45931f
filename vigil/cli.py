"""The `vigil` console script: Django's manage.py under the project's name."""

from __future__ import annotations

import os
import sys

#: Commands that use neither the database nor any app, run without django.setup():
#: it imports every app's models, signals, views and tasks (~0.7 s of CPU, 3x what
#: `vigil hash` spends starting otherwise). Settings are still read (--settings works).
WITHOUT_APPS: dict[str, str] = {"hash": "vigil.victimid.management.commands.hash"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    from django.core.exceptions import ImproperlyConfigured

    argv = argv if argv is not None else sys.argv
    try:
        if len(argv) > 1 and argv[1] in WITHOUT_APPS:
            from importlib import import_module

            import_module(WITHOUT_APPS[argv[1]]).Command().run_from_argv(argv)
            return
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        # One clear line instead of a traceback: this is a configuration problem.
        print(f"vigil: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
