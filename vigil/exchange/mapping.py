"""The one place where partner formats meet Vigil's vocabulary.

- A VICS `Media` object (1.2, 1.3 or 2.0, as real files write it) ↔ a
  *canonical record* (a plain dict with lower-case hex, real booleans and
  integers) ↔ Vigil's `victimid.Media` plus `exchange.Record`.
- A partner's series metadata (sync and packages) ↔ `victimid.Series`. The
  age-range and relationship vocabularies are victimid's (`vigil.lib.vocab`,
  `vigil.victimid.vocabulary`): series metadata goes through victimid's
  actions, which translate a partner's words; this module only compares
  canonical age ranges (`age_range_in`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from vigil.lib import vocab
from vigil.victimid.privacy import find_victim_name_keys

HEX = re.compile(r"^[0-9a-fA-F]+$")

# Project VIC's US categorisation as commonly documented. A code outside it is kept
# as given and shown as "unknown category N".
CATEGORIES = {
    0: "Non-pertinent",
    1: "Child abuse material",
    2: "Child exploitive / age difficult",
    3: "CGI / animation",
    4: "Comparison",
}

VERSIONS = ("1.2", "1.3", "2.0")
CONTEXT = {
    "1.2": "http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml#Media",
    "1.3": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media",
    "2.0": "http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
}
CASE_FIELDS = (
    "CaseID",
    "CaseNumber",
    "ContactOrganization",
    "ContactName",
    "ContactPhone",
    "ContactEmail",
    "ContactTitle",
    "SeizureDate",
    "SourceApplicationName",
    "SourceApplicationVersion",
    "TotalMediaFiles",
    "TotalPrecategorized",
)
# The canonical record's keys and its defaults (what an empty VICS field becomes).
DEFAULTS: dict[str, Any] = {
    "md5": "",
    "sha1": "",
    "sha256": "",
    "pdq": "",
    "size": None,
    "media_id": "",
    "category": None,
    "is_precategorized": False,
    "victim_identified": None,
    "offender_identified": None,
    "is_distributed": None,
    "series": "",
    "tags": "",
    "comments": "",
    "photodna": "",
    "exifs": [],
    "media_files": [],
    "alternative_hashes": [],
    "date_updated": "",
}


def category_label(code: int | None) -> str:
    if code is None:
        return "no category"
    return CATEGORIES.get(code, f"unknown category {code}")


class RecordError(ValueError):
    """One record cannot be taken; the message says why (it goes in `rejected`)."""


# --------------------------------------------------------------------------- VICS → canonical


def _is_noise(key: str) -> bool:
    # OData annotations: "odata.navigationLinkUrl", "MediaFiles@odata.navigationLinkUrl", "@odata.id"…
    return "odata." in key


def strip_noise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_noise(v) for k, v in value.items() if not _is_noise(str(k))}
    if isinstance(value, list):
        return [strip_noise(v) for v in value]
    return value


def victim_name_paths(value: Any, path: str) -> list[str]:
    """Victim-name keys anywhere, and property bags ({"PropertyName": "VictimName", …}) too."""
    return find_victim_name_keys(value, path)


def _flag(raw: Any, name: str) -> bool | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "1", "0"):
        return raw.strip().lower() in ("true", "1")
    raise RecordError(f"{name} must be true or false (got {raw!r}).")


def _hex(raw: Any, name: str, length: int, *, required: bool = False) -> str:
    if raw is None or raw == "":
        if required:
            raise RecordError(f"{name} is missing.")
        return ""
    if not isinstance(raw, str) or len(raw.strip()) != length or not HEX.match(raw.strip()):
        raise RecordError(
            f"{name} must be {length} hexadecimal characters (got {str(raw)[:80]!r})."
        )
    return raw.strip().lower()


def _int(raw: Any, name: str, *, lo: int = 0, hi: int | None = None) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise RecordError(f"{name} must be a whole number (got {raw!r}).")
    try:
        value = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        raise RecordError(f"{name} must be a whole number (got {str(raw)[:40]!r}).") from None
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise RecordError(f"{name} must be {bound} (got {value}).")
    return value


def _text(raw: Any, name: str) -> str:
    if raw is None:
        return ""
    if isinstance(raw, (list, dict)):
        raise RecordError(f"{name} must be text.")
    return str(raw)


def _list(raw: Any, name: str) -> list:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RecordError(f"{name} must be a list.")
    return raw


def _nul_at(value: Any, path: str) -> str | None:
    """The path of the first key or text holding a NUL character (\\u0000), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            inner = f"{path}.{k}" if path else str(k)
            if "\x00" in str(k):
                return inner
            found = _nul_at(v, inner)
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _nul_at(v, f"{path}[{i}]")
            if found:
                return found
    return None


def from_vics(media: Any) -> dict[str, Any]:
    """A VICS Media object → the canonical record. Raises RecordError with the reason."""
    if not isinstance(media, dict):
        raise RecordError("a Media entry must be a JSON object.")
    m = strip_noise(media)
    nul = _nul_at(m, "")
    if nul:
        # Valid JSON, but no database text or jsonb column can hold it (PostgreSQL
        # refused the whole import over one such record).
        where = nul.replace("\x00", "\\u0000")  # a key may hold it too
        raise RecordError(f"{where} holds a NUL character (\\u0000), which cannot be stored.")
    rec = dict(DEFAULTS)
    rec["md5"] = _hex(m.get("MD5"), "MD5", 32, required=True)
    rec["sha1"] = _hex(m.get("SHA1"), "SHA1", 40)
    rec["size"] = _int(m.get("MediaSize"), "MediaSize")
    media_id = m.get("MediaID")
    rec["media_id"] = "" if media_id is None else str(media_id)
    rec["category"] = _int(m.get("Category"), "Category", hi=255)
    rec["is_precategorized"] = bool(_flag(m.get("IsPrecategorized"), "IsPrecategorized"))
    for key, name in (
        ("victim_identified", "VictimIdentified"),
        ("offender_identified", "OffenderIdentified"),
        ("is_distributed", "IsDistributed"),
    ):
        rec[key] = _flag(m.get(name), name)
    rec["series"] = _text(m.get("Series"), "Series").strip()[:200]
    rec["tags"] = _text(m.get("Tags"), "Tags")
    rec["comments"] = _text(m.get("Comments"), "Comments")
    rec["photodna"] = _text(m.get("PhotoDNA"), "PhotoDNA")
    rec["date_updated"] = _text(m.get("DateUpdated"), "DateUpdated")[:40]
    rec["exifs"] = _list(m.get("Exifs"), "Exifs")
    rec["media_files"] = _list(m.get("MediaFiles"), "MediaFiles")
    others = []
    for i, alt in enumerate(_list(m.get("AlternativeHashes"), "AlternativeHashes")):
        if not isinstance(alt, dict):
            raise RecordError(f"AlternativeHashes[{i}] must be an object.")
        hname = str(alt.get("HashName") or "").strip()
        hvalue = alt.get("HashValue")
        if hname.upper() == "PDQ":
            rec["pdq"] = _hex(hvalue, "AlternativeHashes PDQ", 64)
            continue
        if hname.upper() == "SHA256":
            rec["sha256"] = _hex(hvalue, "AlternativeHashes SHA256", 64)
            hvalue = rec["sha256"]
        others.append({"HashName": hname, "HashValue": hvalue})
    rec["alternative_hashes"] = others
    return rec


def digest(rec: dict[str, Any]) -> str:
    """The fingerprint of a canonical record: equal digests, nothing to change."""
    return hashlib.sha256(
        json.dumps(rec, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


# --------------------------------------------------------------------------- Vigil → VICS


def to_vics(rec: dict[str, Any], *, with_series: bool = True) -> dict[str, Any]:
    """The canonical record → a VICS Media object (the same keys in every version)."""
    alt = []
    if rec.get("pdq"):
        alt.append({"HashName": "PDQ", "HashValue": rec["pdq"]})
    alt.extend(rec.get("alternative_hashes") or [])
    if rec.get("sha256") and not any(str(a.get("HashName", "")).upper() == "SHA256" for a in alt):
        alt.append({"HashName": "SHA256", "HashValue": rec["sha256"]})
    out: dict[str, Any] = {
        "MediaID": int(rec["media_id"]) if str(rec.get("media_id") or "").isdigit() else 0,
        "Category": rec.get("category"),
        "MD5": rec["md5"].upper(),
        "SHA1": (rec.get("sha1") or "").upper() or None,
        "MediaSize": rec.get("size"),
        "DateUpdated": rec.get("date_updated") or None,
        "IsPrecategorized": bool(rec.get("is_precategorized")),
        "Series": (rec.get("series") or None) if with_series else None,
        "VictimIdentified": rec.get("victim_identified") if with_series else None,
        "OffenderIdentified": rec.get("offender_identified"),
        "IsDistributed": rec.get("is_distributed"),
        "Tags": rec.get("tags") or None,
        "Comments": rec.get("comments") or None,
        "PhotoDNA": rec.get("photodna") or None,
        "Exifs": rec.get("exifs") or [],
        "AlternativeHashes": alt,
        "MediaFiles": rec.get("media_files") or [],
    }
    return out


def record_of(media, record, series_name: str | None, series_identified: bool | None) -> dict:
    """A Vigil media (+ its exchange Record, if any) → the canonical record."""
    rec = dict(DEFAULTS)
    rec.update(
        md5=media.md5,
        sha1=media.sha1,
        sha256=media.sha256,
        pdq=media.pdq,
        size=media.size,
        media_id=str(media.pk),
        series=series_name or "",
    )
    if record is not None:
        rec.update(
            category=record.category,
            is_precategorized=record.is_precategorized,
            victim_identified=record.victim_identified,
            offender_identified=record.offender_identified,
            is_distributed=record.is_distributed,
            tags=record.tags,
            comments=record.comments,
            photodna=record.photodna,
            exifs=record.exifs,
            media_files=record.media_files,
            alternative_hashes=record.alternative_hashes,
            date_updated=record.date_updated,
        )
    if series_identified is not None:
        rec["victim_identified"] = series_identified
    if not rec["date_updated"]:
        rec["date_updated"] = media.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return rec


RECORD_FIELDS = (
    "category",
    "is_precategorized",
    "victim_identified",
    "offender_identified",
    "is_distributed",
    "tags",
    "comments",
    "photodna",
    "exifs",
    "media_files",
    "alternative_hashes",
    "date_updated",
)


# --------------------------------------------------------------------------- series metadata


SERIES_KEYS = (
    "name",
    "victim_identified",
    "victim_age_range",
    "relationship_to_offender",
    "relationship_other",
    "origin",
    "year_of_production",
    "contact_agency",
    "contact_investigator",
    "contact_email",
    "contact_phone",
)


def series_out(series) -> dict[str, Any]:
    """Series metadata as sent to a partner (never the notes: they are the unit's own)."""
    return {key: getattr(series, key, "") for key in SERIES_KEYS}


def age_range_in(value: Any) -> str:
    """A partner's age range in victimid's canonical text ("8-10", "7", "unknown")."""
    try:
        return vocab.format_age_range(*vocab.parse_age_range(None if value is None else str(value)))
    except vocab.VocabError:
        return "unknown"


def age_range_unknown() -> str:
    return "unknown"


def series_in(data: Any) -> dict[str, Any]:
    """A partner's series metadata → victimid Series fields, its words left for
    victimid's vocabulary (`do_create_series(..., warnings=[])`). Raises RecordError."""
    if not isinstance(data, dict):
        raise RecordError("a series entry must be a JSON object.")
    name = str(data.get("name") or "").strip()
    if not name:
        raise RecordError("a series entry has no name.")
    year = data.get("year_of_production")
    if year is not None and not isinstance(year, int):
        raise RecordError("year_of_production must be a whole number.")
    out = {
        "name": name[:200],
        "victim_identified": bool(_flag(data.get("victim_identified"), "victim_identified")),
        "victim_age_range": str(data.get("victim_age_range") or "unknown")[:40],
        "relationship_to_offender": str(data.get("relationship_to_offender") or "unknown")[:200],
        "year_of_production": year,
        "contact_agency": str(data.get("contact_agency") or "")[:200],
        "contact_investigator": str(data.get("contact_investigator") or "")[:200],
        "contact_email": str(data.get("contact_email") or "")[:254],
        "contact_phone": str(data.get("contact_phone") or "")[:40],
    }
    if data.get("relationship_other"):
        out["relationship_other"] = str(data["relationship_other"])[:200]
    if data.get("origin"):
        out["origin"] = str(data["origin"])[:40]
    return out
