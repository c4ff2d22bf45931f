"""The selector types: the one vocabulary the selector index, the models and the importers share."""

from __future__ import annotations

from enum import StrEnum


class SelectorType(StrEnum):
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
    ATTRIBUTE = "attribute"


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
ATTRIBUTE = SelectorType.ATTRIBUTE.value
