"""Shared helpers for the victim-identification commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def walk(paths: Iterable[str]) -> Iterator[tuple[str, Path | None, str]]:
    """(display path, file path or None, error) for every file under `paths`, sorted."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    f = Path(root) / name
                    yield str(f), f, ""
        elif p.is_file():
            yield raw, p, ""
        else:
            yield raw, None, "No such file or directory."


def progress(iterable, *, total: int | None, desc: str, enabled: bool):
    """A tqdm progress bar on stderr when it is a terminal; the plain iterable otherwise."""
    if not enabled or not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="file", file=sys.stderr)


def actor_for(username: str | None):
    """The account a command acts as: --user, or None for the operator at the shell."""
    if not username:
        return None
    User = get_user_model()
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise CommandError(f"No active account named {username!r}.") from None
