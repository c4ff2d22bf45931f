"""Selectors about a person or thing: phone, person, address, vehicle, SSN, card, attribute."""

from __future__ import annotations

import re

import phonenumbers

from ..names import normalise_name, unicode_fold

# North American numbers written plainly ("+1 202 555 0143", "(202) 555-0143", national
# ones with region US) skip phonenumbers' parser: for these shapes it yields exactly
# PhoneNumber(1, the ten digits) (no extension, IDD, national prefix or leading zero
# is possible), which is_valid_number checks as it would. Proved against the slow path
# in vigil/lib/tests/test_phone_fast.py. A bulk import's numbers are mostly distinct:
# the parser was a tenth of its time.
_NANP_RE = re.compile(
    r"(\+1[ .\-]?)?(?:([2-9][0-9]{2})|\(([2-9][0-9]{2})\) ?)[ .\-]?([0-9]{3})[ .\-]?([0-9]{4})"
)
_US_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("US")
_US_FIRST = (
    phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ("",))[0] == "US"
    and _US_METADATA is not None
    and _US_METADATA.leading_digits is None
)


def _nanp_valid(number: phonenumbers.PhoneNumber) -> bool:
    """is_valid_number for a +1 number, checking the US first.

    is_valid_number looks the region up (the first of +1's regions whose patterns
    match: the US, which has no leading digits, comes first) and then validates
    for it: a number valid for the US is valid, with half the pattern matching.
    """
    if _US_FIRST and phonenumbers.is_valid_number_for_region(number, "US"):
        return True
    return phonenumbers.is_valid_number(number)


def _normalise_phone(raw: str, region: str | None) -> str | None:
    text = raw.strip()
    if not text or len(text) > 100:
        return None
    m = _NANP_RE.fullmatch(text)
    if m is not None and (m.group(1) or (region or "").upper() == "US"):
        digits = (m.group(2) or m.group(3)) + m.group(4) + m.group(5)
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
        return "+1" + digits if _nanp_valid(number) else None
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except Exception:  # phonenumbers raises more than NumberParseException on odd input
        return None


def phone_best_effort(raw: str, region: str | None) -> str | None:
    """A comparable form for a phone number libphonenumber will not validate
    (reserved ranges such as UK 07700 900xxx, ranges newer than its metadata):
    E.164 where the number is *possible*, else its digits ("+" kept). None only
    when there are too few digits to be a phone number at all. Idempotent.

    Callers keep such a selector marked "not validated": a tip is never lost
    because one of its values cannot be normalised.
    """
    text = raw.strip()
    if not text or len(text) > 100:
        return None
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except Exception:  # phonenumbers raises more than NumberParseException on odd input
        number = None
    if (
        number is not None
        and phonenumbers.is_possible_number(number)
        and len(str(number.national_number)) >= 6
    ):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = re.sub(r"[^0-9]", "", text)
    if not 6 <= len(digits) <= 17:
        return None
    return ("+" if text.lstrip().startswith("+") else "") + digits


_ADDRESS_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "ter",
    "parkway": "pkwy",
    "highway": "hwy",
    "circle": "cir",
    "crescent": "cres",
    "trail": "trl",
    "way": "way",
    "expressway": "expy",
    "freeway": "fwy",
    "turnpike": "tpke",
    "mount": "mt",
    "fort": "ft",
    "apartment": "apt",
    "suite": "ste",
    "building": "bldg",
    "floor": "fl",
    "room": "rm",
    "department": "dept",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
_ADDRESS_TOKEN_RE = re.compile(r"[^\W_]+")


def _normalise_address(raw: str) -> str | None:
    text = re.sub(r"['‘’`]", "", unicode_fold(raw))
    tokens = [_ADDRESS_WORDS.get(t, t) for t in _ADDRESS_TOKEN_RE.findall(text)]
    joined = " ".join(tokens)
    joined = re.sub(r"\b(?:p o|post office) box\b", "po box", joined)
    return joined or None


def _normalise_vehicle(raw: str) -> str | None:
    text = unicode_fold(raw).upper()
    state, colon, plate = text.partition(":")
    if not colon:
        state, plate = "", text
    state = re.sub(r"[^A-Z0-9]", "", state)
    plate = re.sub(r"[^A-Z0-9]", "", plate)
    if not plate or len(plate) > 16 or len(state) > 8:
        return None
    return f"{state}:{plate}" if state else plate


def _digits(raw: str, pattern: str) -> str | None:
    text = raw.strip()
    if not re.fullmatch(r"[0-9][0-9 \-]*", text):
        return None
    digits = re.sub(r"[ \-]", "", text)
    return digits if re.fullmatch(pattern, digits) else None


def _normalise_ssn(raw: str) -> str | None:
    digits = _digits(raw, r"[0-9]{9}")
    if digits is None:
        return None
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return None
    return digits


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _normalise_card(raw: str) -> str | None:
    digits = _digits(raw, r"[0-9]{13,19}")
    return digits if digits is not None and _luhn_ok(digits) else None


def _normalise_person(raw: str) -> str | None:
    return normalise_name(raw) or None


def _normalise_attribute(raw: str) -> str | None:
    return " ".join(raw.split()) or None
