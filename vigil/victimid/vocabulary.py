"""One place where a series' descriptive fields are read from any source
(form, API, series.json, VICS): partners' vocabulary → Vigil's terms.

A value that cannot be read is a *warning on that field*: the field is left
unknown and the series is kept (imports, API). Forms ask for a correction
instead (`strict=True`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from vigil.lib import vocab

_ORIGINS = {
    "unknown": "unknown",
    "": "unknown",
    "real": "real",
    "real child": "real",
    "photographic": "real",
    "photo": "real",
    "actual": "real",
    "computer generated": "computer_generated",
    "computer-generated": "computer_generated",
    "computer_generated": "computer_generated",
    "cg": "computer_generated",
    "cgi": "computer_generated",
    "drawn": "computer_generated",
    "drawing": "computer_generated",
    "rendered": "computer_generated",
    "animated": "computer_generated",
    "cartoon": "computer_generated",
    "virtual": "computer_generated",
    "ai": "ai_generated",
    "ai generated": "ai_generated",
    "ai-generated": "ai_generated",
    "ai_generated": "ai_generated",
    "ai altered": "ai_generated",
    "ai-altered": "ai_generated",
    "synthetic": "ai_generated",
    "generative ai": "ai_generated",
    "deepfake": "ai_generated",
}


@dataclass
class Normalised:
    data: dict[str, Any]
    warnings: list[dict[str, str]] = field(default_factory=list)

    def warn(self, name: str, message: str) -> None:
        self.warnings.append({"field": name, "message": message})


def map_origin(text: Any) -> str:
    key = re.sub(r"\s+", " ", str(text or "").strip().lower())
    if key not in _ORIGINS:
        raise vocab.VocabError(
            f"{text!r} is not an origin: use real, computer-generated, AI-generated or unknown."
        )
    return _ORIGINS[key]


def normalise(data: dict[str, Any], *, strict: bool = False) -> Normalised:
    """Return the data in Vigil's terms. With strict=True a vocabulary problem
    raises ValidationError({field: message}); otherwise it is a warning."""
    out = Normalised(dict(data))
    errors: dict[str, str] = {}

    def problem(name: str, message: str) -> None:
        if strict:
            errors[name] = message
        else:
            out.warn(name, message + " The field was left unknown.")

    if "victim_age_range" in data:
        try:
            low, high = vocab.parse_age_range(data["victim_age_range"])
        except vocab.VocabError as exc:
            problem("victim_age_range", str(exc))
            low = high = None
        out.data["victim_age_range"] = vocab.format_age_range(low, high)
        out.data["victim_age_min"], out.data["victim_age_max"] = low, high
    if "relationship_to_offender" in data:
        code, text = vocab.map_relationship(data["relationship_to_offender"])
        out.data["relationship_to_offender"] = code
        if code == "other" and text:
            out.data["relationship_other"] = text
            if not strict:
                out.warn(
                    "relationship_to_offender",
                    f"{text!r} is not a relationship Vigil knows: kept as 'other' with its text.",
                )
        elif "relationship_other" not in data or code != "other":
            out.data["relationship_other"] = ""
    if "origin" in data:
        try:
            out.data["origin"] = map_origin(data["origin"])
        except vocab.VocabError as exc:
            problem("origin", str(exc))
            out.data["origin"] = "unknown"
    if data.get("origin_established_on") not in (None, ""):
        value = data["origin_established_on"]
        if isinstance(value, str):
            try:
                out.data["origin_established_on"] = dt.date.fromisoformat(value.strip()[:10])
            except ValueError:
                problem("origin_established_on", f"{value!r} is not a date (YYYY-MM-DD).")
                out.data["origin_established_on"] = None
    elif "origin_established_on" in data:
        out.data["origin_established_on"] = None
    if errors:
        raise ValidationError(errors)
    return out
