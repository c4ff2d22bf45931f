"""What the subpoena actions share: identifier types, response states, limits, who may write,
status checks."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from vigil.accounts import access
from vigil.subpoenas.models import Category, Subpoena
from vigil.tips.models import Tip

S = Subpoena.Status
IDENTIFIER_TYPES = {"ip", "email", "online_id", "phone", "domain", "url"}
RESPONSE_STATES = {S.RESPONSE_RECEIVED, S.NO_RECORDS, S.NOT_OUR_CUSTOMER}
MAX_RESPONSE_FILE = 50 * 1024 * 1024
MAX_LINES = 5000
MAX_RESPONSE_CSV = 5 * 1024 * 1024
_SPLIT = re.compile(r"[\n;,]+")


# --- permissions ------------------------------------------------------------------------------


def can_write(user: Any, subpoena_or_tip: Subpoena | Tip) -> bool:
    tip = subpoena_or_tip.tip if isinstance(subpoena_or_tip, Subpoena) else subpoena_or_tip
    return access.can(user, access.WRITE, tip)


def _require_write(user: Any, obj: Subpoena | Tip) -> None:
    if not can_write(user, obj):
        raise PermissionDenied("Only the assigned investigator or a manager may do this.")


def _require_status(subpoena: Subpoena, *allowed: str) -> None:
    if subpoena.status not in allowed:
        names = " or ".join(S(a).label.lower() for a in allowed)
        raise ValidationError(
            f"{subpoena.reference} is {subpoena.get_status_display().lower()}; this step needs it {names}."
        )


def validate_categories(categories: Iterable[str]) -> list[str]:
    """The categories, in canonical order; anything § 2703(c)(2) does not allow is refused."""
    given = [str(c).strip() for c in categories if str(c).strip()]
    allowed = set(Category.values)
    wrong = [c for c in given if c not in allowed]
    if wrong:
        raise ValidationError(
            f"{', '.join(repr(w) for w in wrong)} cannot be asked for: an administrative subpoena "
            f"may ask only for the records 18 U.S.C. § 2703(c)(2) lists ({', '.join(Category.values)})."
        )
    if not given:
        raise ValidationError("Pick at least one record category.")
    return [c for c in Category.values if c in given]


def _zone(name: str) -> str:
    name = (name or "UTC").strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"{name!r} is not a time zone (e.g. UTC, America/New_York)."
        ) from None
    return name
