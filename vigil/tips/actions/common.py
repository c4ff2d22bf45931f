"""What several tips actions share: limits, the write-scope check, small validators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from vigil.accounts import access
from vigil.lib import countries
from vigil.tips.models import Selector, Tip

MAX_NARRATIVE = 100_000
# Fields of a tip that do_update_tip and the bulk import change (and audit).
TIP_FIELDS = ["source_reference", "received_at", "received_via", "narrative", "country"]


def require_write(tip: Tip, actor: Any) -> None:
    """PermissionDenied unless `actor` may change `tip` (with a message when they may see it)."""
    access.ensure(
        actor, access.WRITE, tip, "Only the assigned investigator or a manager may change this tip."
    )


def clean_country(country: str) -> str:
    country = (country or "").strip().upper()
    if country and not countries.is_country(country):
        raise ValidationError(f"country: {country[:20]!r} is not an ISO 3166 country code")
    return country


def label(s: Selector) -> str:
    """How a selector is named in an audit row: the mask for SSNs and cards, never the value."""
    return f"{s.type}:{s.masked or s.value}"
