"""Shared helpers for the victim-identification commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from vigil.lib.archive import ArchiveError, iter_files


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


def _hash_task(task: tuple[str, str | None, bytes | None, bool, str]):
    """In a worker: (display name, Hashed | None, error).

    One read and one decode of each file; MD5/SHA-1/SHA-256 and PDQ (and with
    `dihedral` its 8 rotations and flips) from the same bytes and pixels.
    Runs in a child process: Pillow's decode and pdqhash hold the GIL.
    """
    # Deferred: hash_entries loads Pillow and pdqhash once, before the workers fork.
    from vigil.victimid.hashing import MediaError, hash_bytes_media, hash_path

    shown, path, data, dihedral, variants = task
    try:
        if path is not None:
            hashed = hash_path(path, variants=variants, dihedral=dihedral)
        else:
            hashed = hash_bytes_media(data or b"", shown, variants=variants, dihedral=dihedral)
        return shown, hashed, ""
    except MediaError as exc:
        return shown, None, exc.message


def _tasks(entries, *, dihedral: bool, variants: str = ""):
    """Files as they are; a ZIP archive (the web form takes them too) member by member,
    with the same bomb and nesting checks as uploads."""
    for shown, path, error in entries:
        if path is not None and path.suffix.lower() == ".zip":
            try:
                with open(path, "rb") as fh:
                    for member, data in iter_files(fh):
                        yield (f"{shown}!{member.name}", None, data, dihedral, variants), ""
            except (ArchiveError, OSError) as exc:
                yield (shown, None, None, False, ""), str(exc)
            continue
        if error or path is None:
            yield (shown, None, None, False, ""), error or "No such file or directory."
            continue
        yield (shown, str(path), None, dihedral, variants), ""


def hash_entries(entries, *, jobs: int, dihedral: bool = False, variants: str = ""):
    """(shown, Hashed | None, error) for every file, in order, hashed on `jobs`
    processes (1: in this process). `variants`, `dihedral`: see hash_path."""
    # Deferred: `vigil hash` starts without the apps; Pillow and pdqhash load here, once.
    from vigil.lib import pdq as pdqlib

    tasks = list(_tasks(entries, dihedral=dihedral, variants=variants))
    pdqlib.reuse_freed_memory()  # this process and the forked workers only hash now
    if jobs <= 1 or len(tasks) < 2:
        for task, error in tasks:
            yield (task[0], None, error) if error else _hash_task(task)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    todo = [task for task, error in tasks if not error]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        # Small chunks: a worker left with a 16-file chunk at the end kept the other
        # cores idle for up to 16 images (~0.4 s of a 200-image run on 2 cores);
        # at 4 the tail is ~0.1 s and the queue's cost still nothing beside a decode.
        results = pool.map(_hash_task, todo, chunksize=max(1, min(4, len(todo) // (8 * jobs))))
        for task, error in tasks:
            yield (task[0], None, error) if error else next(results)
