"""The selector types: the one vocabulary the selector index, the models and the importers share.

`tips.models.Selector.Type` (the model's choices) is built from `SelectorType`
and `LABELS`: a type is added here, once, and the model, the forms and the API
follow (a new type needs a migration for the field's choices).
"""

from __future__ import annotations

from enum import StrEnum


class SelectorType(StrEnum):
    # The order is the order of the model's choices (forms, filters).
    IP = "ip"
    EMAIL = "email"
    URL = "url"
    DOMAIN = "domain"
    ONLINE_ID = "online_id"
    PHONE = "phone"
    PERSON = "person"
    ADDRESS = "address"
    VEHICLE = "vehicle"
    SSN = "ssn"
    CARD = "card"
    FILE_HASH = "file_hash"
    ATTRIBUTE = "attribute"


# What a person reads for each type (the model's choice labels).
LABELS: dict[SelectorType, str] = {
    SelectorType.IP: "IP address",
    SelectorType.EMAIL: "E-mail",
    SelectorType.URL: "URL",
    SelectorType.DOMAIN: "Domain",
    SelectorType.ONLINE_ID: "Online ID",
    SelectorType.PHONE: "Phone",
    SelectorType.PERSON: "Person",
    SelectorType.ADDRESS: "Postal address",
    SelectorType.VEHICLE: "Vehicle",
    SelectorType.SSN: "SSN",
    SelectorType.CARD: "Payment card",
    SelectorType.FILE_HASH: "File hash",
    SelectorType.ATTRIBUTE: "Attribute",
}

IP = SelectorType.IP.value
EMAIL = SelectorType.EMAIL.value
URL = SelectorType.URL.value
DOMAIN = SelectorType.DOMAIN.value
ONLINE_ID = SelectorType.ONLINE_ID.value
PHONE = SelectorType.PHONE.value
PERSON = SelectorType.PERSON.value
ADDRESS = SelectorType.ADDRESS.value
VEHICLE = SelectorType.VEHICLE.value
SSN = SelectorType.SSN.value
CARD = SelectorType.CARD.value
FILE_HASH = SelectorType.FILE_HASH.value
ATTRIBUTE = SelectorType.ATTRIBUTE.value

# Types whose values are stored as a keyed hash (matching), encrypted (the number) and
# masked (the screen): never kept, logged or echoed in clear.
HASHED_TYPES: frozenset[str] = frozenset({SelectorType.SSN, SelectorType.CARD})
