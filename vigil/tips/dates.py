"""The one date parser of the tips app: import files, the web forms (ISO 8601, UTC by default)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone


def parse_when(text: str, *, column: str) -> dt.datetime | None:
    """ISO 8601 date or date-time; naive means UTC. Blank gives None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{column}: {text[:40]!r} is not a date (use ISO 8601, e.g. 2024-03-01T10:22:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value.year < 1970:
        raise ValidationError(f"{column}: {text[:40]!r} is before 1970")
    if value > _latest_seen and value > _tomorrow():
        raise ValidationError(f"{column}: {text[:40]!r} is in the future")
    return value


_DAY = dt.timedelta(days=1)
# A bound the limit ("tomorrow") has passed: a date before it needs no clock read
# (an import reads one per row). The limit only grows, so the check is the same.
_latest_seen = dt.datetime.min.replace(tzinfo=dt.UTC)


def _tomorrow() -> dt.datetime:
    global _latest_seen
    _latest_seen = timezone.now() + _DAY
    return _latest_seen


def parse_dob(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValidationError(
            f"suspect_dob: {text[:40]!r} is not a date (use YYYY-MM-DD)"
        ) from None
