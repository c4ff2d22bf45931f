"""Reading submitted hash lists: CSV (md5/sha1/sha256/pdq columns) or a VICS JSON media list."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from vigil.victimid.actions import ItemSpec
from vigil.victimid.privacy import reject_victim_names

MAX_ROWS = 100_000
_HEX = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
_HEX_RE = re.compile(r"^[0-9a-f]+$")


class HashListError(ValueError):
    pass


def _check(kind: str, value: Any, where: str) -> str:
    if value is None:
        return ""
    text = str(value).strip().lower()
    if not text:
        return ""
    if len(text) != _HEX[kind] or not _HEX_RE.match(text):
        raise HashListError(
            f"{where}: {kind.upper()} {text[:70]!r} is not {_HEX[kind]} hexadecimal characters."
        )
    return text


def parse(data: bytes, filename: str = "") -> list[ItemSpec]:
    text = data.decode("utf-8-sig", errors="strict") if data else ""
    if not text.strip():
        raise HashListError("The hash list is empty.")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) or filename.lower().endswith(".json"):
        return parse_vics(text)
    return parse_csv(text)


def parse_csv(text: str) -> list[ItemSpec]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
    reject_victim_names({k: None for k in fields}, "CSV header")
    if not set(fields) & set(_HEX):
        raise HashListError(
            "The CSV has no md5, sha1, sha256 or pdq column (the first line must name the columns)."
        )
    name_col = next((fields[k] for k in ("name", "filename", "file", "path") if k in fields), None)
    items = []
    for n, row in enumerate(reader, start=2):
        if n - 1 > MAX_ROWS:
            raise HashListError(f"The list has more than {MAX_ROWS:,} rows.")
        where = f"Line {n}"
        values = {k: _check(k, row.get(fields[k]), where) for k in _HEX if k in fields}
        if not any(values.values()):
            continue
        name = (row.get(name_col) or "").strip() if name_col else ""
        items.append(ItemSpec(name=name or f"line {n}", **values))
    if not items:
        raise HashListError("The CSV holds no hash.")
    return items


def _media_records(doc: Any) -> list[dict]:
    """VICS 2.0 OData: {"value": [case {"Media": [...]}]} or {"value": [media]}, or a list."""
    if isinstance(doc, list):
        records = doc
    elif isinstance(doc, dict):
        if isinstance(doc.get("Media"), list):
            records = doc["Media"]
        elif isinstance(doc.get("value"), list):
            records = []
            for entry in doc["value"]:
                if isinstance(entry, dict) and isinstance(entry.get("Media"), list):
                    records.extend(entry["Media"])
                else:
                    records.append(entry)
        else:
            raise HashListError("The JSON is not a VICS media list (no 'value' or 'Media' list).")
    else:
        raise HashListError("The JSON is not a VICS media list.")
    return records


def parse_vics(text: str) -> list[ItemSpec]:
    try:
        doc = json.loads(text)
        reject_victim_names(doc)
    except json.JSONDecodeError as exc:
        raise HashListError(f"The JSON cannot be read: {exc.msg} at line {exc.lineno}.") from None
    except RecursionError:  # 5,000 nested '[': a clear refusal, not a server error
        raise HashListError("The JSON is nested too deeply to be a VICS media list.") from None
    items = []
    for n, rec in enumerate(_media_records(doc), start=1):
        if n > MAX_ROWS:
            raise HashListError(f"The list has more than {MAX_ROWS:,} media.")
        if not isinstance(rec, dict):
            raise HashListError(f"Media record {n} is not an object.")
        rec_l = {str(k).lower(): v for k, v in rec.items()}
        where = f"Media record {n}"
        values = {
            "md5": _check("md5", rec_l.get("md5"), where),
            "sha1": _check("sha1", rec_l.get("sha1"), where),
            "sha256": "",
            "pdq": "",
        }
        for alt in rec_l.get("alternativehashes") or []:
            if not isinstance(alt, dict):
                continue
            alt_l = {str(k).lower(): v for k, v in alt.items()}
            hname = str(alt_l.get("hashname", "")).strip().lower().replace("-", "")
            if hname in ("sha256", "pdq"):
                values[hname] = _check(hname, alt_l.get("hashvalue"), where)
        if not any(values.values()):
            continue
        name = ""
        files = rec_l.get("mediafiles") or []
        if files and isinstance(files[0], dict):
            name = str(files[0].get("FileName") or files[0].get("fileName") or "")
        name = name or str(rec_l.get("relativefilepath") or "") or f"media {n}"
        items.append(ItemSpec(name=name, **values))
    if not items:
        raise HashListError("The VICS list holds no media with a hash.")
    return items
