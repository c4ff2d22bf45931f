"""`vigil import_series DIR [--user NAME] [--json]`: bulk-load series from folders.

Each sub-folder of DIR is one series, named by the folder (or by `name` in an
optional `series.json`), holding its media files. series.json keys: name,
victim_identified, victim_age_range, relationship_to_offender, origin,
origin_established_by, origin_method, origin_established_on,
year_of_production, contact {agency, investigator, email, phone}, notes.

- Partners' vocabulary is accepted ("8-10", "12 to 14", "under 5", "family
  member", "babysitter", "AI-generated"…, see vigil/lib/vocab.py); a value that
  cannot be read is a warning on that field (left unknown), never the loss of
  the series.

- A series.json carrying a victim-name key (victim_name, victimName,
  name_of_victim, …, nested too) rejects that series with a clear error; the
  other series go on.
- Re-running adds only what is new: a file already in its series (same
  SHA-256) is skipped.
- Files that cannot be hashed (corrupt, truncated, unsupported, too large) are
  reported one by one and the batch goes on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from vigil.audit.log import record
from vigil.core import request_context
from vigil.victimid import actions
from vigil.victimid.hashing import MediaError
from vigil.victimid.management.commands._common import actor_for, progress
from vigil.victimid.models import Series
from vigil.victimid.privacy import VictimNameError, reject_victim_names

SERIES_JSON = "series.json"
_FLAT_KEYS = {
    "name",
    "victim_identified",
    "victim_age_range",
    "relationship_to_offender",
    "origin",
    "origin_established_by",
    "origin_method",
    "origin_established_on",
    "year_of_production",
    "notes",
}
_CONTACT_KEYS = {"agency", "investigator", "email", "phone"}


class SeriesFileError(ValueError):
    pass


def read_series_json(folder: Path) -> dict[str, Any]:
    """The series fields from folder/series.json (empty if there is none)."""
    path = folder / SERIES_JSON
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SeriesFileError(f"{SERIES_JSON} cannot be read: {exc}") from None
    if not isinstance(doc, dict):
        raise SeriesFileError(f"{SERIES_JSON} must hold one JSON object.")
    reject_victim_names(doc, SERIES_JSON)
    unknown = set(doc) - _FLAT_KEYS - {"contact"}
    if unknown:
        raise SeriesFileError(
            f"{SERIES_JSON} has unknown key(s): {', '.join(sorted(unknown))}. "
            f"Allowed: {', '.join(sorted(_FLAT_KEYS | {'contact'}))}."
        )
    data = {k: doc[k] for k in _FLAT_KEYS if k in doc}
    contact = doc.get("contact") or {}
    if not isinstance(contact, dict):
        raise SeriesFileError(f"{SERIES_JSON}: contact must be an object.")
    unknown = set(contact) - _CONTACT_KEYS
    if unknown:
        raise SeriesFileError(
            f"{SERIES_JSON}: contact has unknown key(s): {', '.join(sorted(unknown))}."
        )
    for key in _CONTACT_KEYS:
        if key in contact:
            data[f"contact_{key}"] = "" if contact[key] is None else str(contact[key])
    if "victim_identified" in data and not isinstance(data["victim_identified"], bool):
        raise SeriesFileError(f"{SERIES_JSON}: victim_identified must be true or false.")
    if isinstance(data.get("victim_age_range"), int) and not isinstance(
        data["victim_age_range"], bool
    ):
        data["victim_age_range"] = str(data["victim_age_range"])
    for key in (
        "name",
        "victim_age_range",
        "relationship_to_offender",
        "origin",
        "origin_established_by",
        "origin_method",
        "origin_established_on",
        "notes",
    ):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise SeriesFileError(f"{SERIES_JSON}: {key} must be a string.")
        if key in data and data[key] is None:
            data[key] = ""
    if data.get("year_of_production") is not None and not isinstance(
        data["year_of_production"], int
    ):
        raise SeriesFileError(f"{SERIES_JSON}: year_of_production must be a whole number.")
    return data


def _media_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name != SERIES_JSON and not p.name.startswith(".")
    )


def import_folder(folder: Path, *, actor, show_progress: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {
        "folder": folder.name,
        "name": folder.name,
        "status": "",
        "error": "",
        "added": 0,
        "skipped": 0,
        "errors": [],
        "warnings": [],
    }
    try:
        data = read_series_json(folder)
    except (SeriesFileError, VictimNameError) as exc:
        result.update(status="rejected", error=str(exc))
        return result
    name = (data.pop("name", "") or folder.name).strip()
    result["name"] = name
    try:
        series = Series.objects.filter(name=name).first()
        if series is None:
            series = actions.do_create_series(
                actor=actor, data={"name": name, **data}, warnings=result["warnings"]
            )
            result["status"] = "created"
        else:
            before = series.updated_at
            series = actions.do_update_series(
                series, actor=actor, data=data, warnings=result["warnings"]
            )
            result["status"] = "updated" if series.updated_at != before else "unchanged"
    except ValidationError as exc:
        result.update(status="rejected", error="; ".join(_messages(exc)))
        return result
    except PermissionDenied:
        result.update(status="rejected", error="That account may not create or change series.")
        return result
    files = _media_files(folder)
    for path in progress(files, total=len(files), desc=name[:30], enabled=show_progress):
        rel = str(path.relative_to(folder))
        try:
            added = actions.do_add_media(
                series,
                actor=actor,
                data=path.read_bytes(),
                filename=rel,
                origin="import_series",
            )
        except MediaError as exc:
            result["errors"].append({"file": rel, "error": exc.message})
            continue
        except OSError as exc:
            result["errors"].append({"file": rel, "error": f"cannot be read ({exc.strerror})"})
            continue
        if added.created:
            result["added"] += 1
        else:
            result["skipped"] += 1
    return result


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    return list(exc.messages)


class Command(BaseCommand):
    help = (
        "Import series from DIR: one sub-folder per series, with media and an optional series.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument("--user", help="act as this account (default: the shell operator)")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")

    def handle(self, *args, **opts):
        root = Path(opts["directory"])
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory.")
        actor = actor_for(opts.get("user"))
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not folders:
            raise CommandError(f"{root} has no sub-folder: each series is one sub-folder.")
        results = []
        with request_context.bind(via="cli"):
            for folder in folders:
                res = import_folder(folder, actor=actor, show_progress=not opts["json"])
                results.append(res)
                if not opts["json"]:
                    self._print(res)
            totals = {
                "series_created": sum(r["status"] == "created" for r in results),
                "series_rejected": sum(r["status"] == "rejected" for r in results),
                "media_added": sum(r["added"] for r in results),
                "media_skipped": sum(r["skipped"] for r in results),
                "file_errors": sum(len(r["errors"]) for r in results),
            }
            record(
                "series.import",
                actor=actor,
                actor_username="" if actor else "cli",
                summary=(
                    f"{root.name}: {totals['series_created']} series created, "
                    f"{totals['series_rejected']} rejected, {totals['media_added']} media added"
                ),
                changes={"totals": totals},
            )
        if opts["json"]:
            self.stdout.write(json.dumps({"series": results, "totals": totals}, indent=2))
        else:
            self.stdout.write(
                f"Done: {totals['series_created']} series created, {totals['series_rejected']} rejected, "
                f"{totals['media_added']} media added, {totals['media_skipped']} already present, "
                f"{totals['file_errors']} file error(s)."
            )
        if totals["series_rejected"] or totals["file_errors"]:
            raise CommandError("Some series or files were not imported (see above).", returncode=1)

    def _print(self, res: dict[str, Any]) -> None:
        if res["status"] == "rejected":
            self.stderr.write(f"✗ {res['folder']}: rejected: {res['error']}")
            return
        self.stdout.write(
            f"✓ {res['name']}: {res['status']}, {res['added']} added, {res['skipped']} already present"
        )
        for warning in res["warnings"]:
            self.stderr.write(f"    warning: {warning['field']}: {warning['message']}")
        for err in res["errors"]:
            self.stderr.write(f"    {err['file']}: {err['error']}")
