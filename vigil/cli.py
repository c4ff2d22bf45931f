"""The `vigil` console script: Django's manage.py under the project's name."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv if argv is not None else sys.argv)
    except ImproperlyConfigured as exc:
        # One clear line instead of a traceback: this is a configuration problem.
        print(f"vigil: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
