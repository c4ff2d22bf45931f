"""`normalise(type, raw)`: the one comparable value of a selector, by type."""

from __future__ import annotations

from collections.abc import Callable

from .handles import _normalise_online_id
from .identity import (
    _normalise_address,
    _normalise_attribute,
    _normalise_card,
    _normalise_person,
    _normalise_phone,
    _normalise_ssn,
    _normalise_vehicle,
)
from .network import _normalise_domain, _normalise_email, _normalise_ip, _normalise_url
from .types import (
    ADDRESS,
    ATTRIBUTE,
    CARD,
    DOMAIN,
    EMAIL,
    IP,
    ONLINE_ID,
    PERSON,
    PHONE,
    SSN,
    URL,
    VEHICLE,
)

# Longer than any real selector; keeps worst-case refanging of nested "[[.]]" cheap.
_MAX_RAW_LENGTH = 16_384


def normalise(
    type: str,  # the contract's name, shadowing the builtin
    raw: str,
    *,
    default_region: str | None = None,
    platform: str | None = None,
) -> str | None:
    """The comparable value of a selector, or None when `raw` is not a valid one.

    Never raises for a str; idempotent on its own output. `default_region`
    (ISO country code) reads national phone numbers; `platform` names the
    platform of an online_id given as a bare handle.
    """
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_LENGTH:
        return None
    if type == PHONE:
        return _normalise_phone(raw, default_region)
    if type == ONLINE_ID:
        return _normalise_online_id(raw, platform)
    handler = _NORMALISERS.get(type)
    return handler(raw) if handler is not None else None


_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    IP: _normalise_ip,
    EMAIL: _normalise_email,
    URL: _normalise_url,
    DOMAIN: _normalise_domain,
    PERSON: _normalise_person,
    ADDRESS: _normalise_address,
    VEHICLE: _normalise_vehicle,
    SSN: _normalise_ssn,
    CARD: _normalise_card,
    ATTRIBUTE: _normalise_attribute,
}
