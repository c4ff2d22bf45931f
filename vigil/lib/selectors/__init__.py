"""Selectors: the data points that tie tips together (IPs, e-mails, handles…).

Pure Python (no Django). Three jobs:

- `normalise(type, raw)` turns what an analyst typed or a tip carried into the
  one comparable value stored in the selector index (or None when invalid);
- `extract(text)` finds selectors in free text (a tip narrative), defanged
  forms included;
- `refang(text)` undoes the usual defanging (hxxp, [.], [at]…).

Choices worth knowing:

- An IP address that is the host of a URL is reported twice by `extract`: as
  the URL and as the IP (with the span of the host), because the bare IP is
  what other tips will carry. An e-mail's domain is never reported as a URL.
- A profile URL of a known platform (instagram.com/name, t.me/name…) is
  reported as the URL and as an online_id.
- `normalise("ip", …)` accepts and drops a port ("203.0.113.5:8080",
  "[2001:db8::1]:443"); `parse_ip_observation` keeps it.

Layout (one module a seam; import from the package, never from a module):
`types` (the selector types), `refang`, `network` (hosts, IPs, domains, URLs,
e-mail, IP observations), `handles` (online identifiers, platforms), `identity`
(phone, person, address, vehicle, SSN, card, attribute), `normalise` (the
dispatch by type), `extract` (free text).
"""

from __future__ import annotations

from .extract import Extracted, extract

# _PLATFORM_ALIASES: not public; the tests check the alias table through this path.
from .handles import _PLATFORM_ALIASES as _PLATFORM_ALIASES
from .handles import KNOWN_PLATFORMS, fold_platform
from .identity import phone_best_effort
from .network import IPObservation, parse_ip_observation, registered_domain
from .normalise import normalise
from .refang import refang
from .types import (
    ADDRESS,
    ATTRIBUTE,
    CARD,
    DOMAIN,
    EMAIL,
    FILE_HASH,
    HASHED_TYPES,
    IP,
    LABELS,
    ONLINE_ID,
    PERSON,
    PHONE,
    SSN,
    URL,
    VEHICLE,
    SelectorType,
)

__all__ = [
    "ADDRESS",
    "ATTRIBUTE",
    "CARD",
    "DOMAIN",
    "EMAIL",
    "FILE_HASH",
    "HASHED_TYPES",
    "IP",
    "LABELS",
    "ONLINE_ID",
    "PERSON",
    "PHONE",
    "SSN",
    "URL",
    "VEHICLE",
    "KNOWN_PLATFORMS",
    "Extracted",
    "IPObservation",
    "SelectorType",
    "extract",
    "fold_platform",
    "normalise",
    "parse_ip_observation",
    "phone_best_effort",
    "refang",
    "registered_domain",
]
