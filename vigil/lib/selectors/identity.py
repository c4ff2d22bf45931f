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
# The number types _number_type_helper tries after the general description, in its order
# (mobile only when its pattern is not the fixed line's).
_TYPE_DESCS = (
    "premium_rate toll_free shared_cost voip personal_number pager uan voicemail fixed_line"
).split()


def _ten_digit_validity(
    metadata: phonenumbers.PhoneMetadata | None,
) -> re.Pattern[str] | None:
    """One pattern whose fullmatch of a 10-digit national number is _number_type_helper's
    "not UNKNOWN" for `metadata` (is_valid_number_for_region): the general description
    (a look-ahead) and any number type's pattern, each counted only if 10 is among its
    possible lengths, as _is_number_matching_desc counts it. None when there is none."""
    if metadata is None:
        return None
    names = _TYPE_DESCS + ([] if metadata.same_mobile_and_fixed_line_pattern else ["mobile"])

    def pattern(desc: phonenumbers.PhoneNumberDesc | None) -> str | None:
        if desc is None or (desc.possible_length and 10 not in desc.possible_length):
            return None
        return desc.national_number_pattern or None

    general = pattern(metadata.general_desc)
    types = [p for p in (pattern(getattr(metadata, name)) for name in names) if p]
    if general is None or not types:
        return None
    return re.compile(f"(?=(?:{general})\\Z)(?:{'|'.join(f'(?:{p})' for p in types)})")


# is_valid_number looks a +1 number's region up (the first of +1's regions whose patterns
# match: the US, which has no leading digits, comes first) and then validates for it: a
# number valid for the US is valid. One regex for it instead of phonenumbers' dozen calls.
_US_VALID = (
    _ten_digit_validity(_US_METADATA)
    if phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ("",))[0] == "US"
    and _US_METADATA is not None
    and _US_METADATA.leading_digits is None
    else None
)


def _nanp_valid(digits: str) -> bool:
    """is_valid_number for +1 and these ten digits (the first 2-9), checking the US first."""
    if _US_VALID is not None and _US_VALID.fullmatch(digits):
        return True
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
    return phonenumbers.is_valid_number(number)


def _normalise_phone(raw: str, region: str | None) -> str | None:
    text = raw.strip()
    if not text or len(text) > 100:
        return None
    m = _NANP_RE.fullmatch(text)
    if m is not None and (m.group(1) or (region or "").upper() == "US"):
        digits = (m.group(2) or m.group(3)) + m.group(4) + m.group(5)
        return "+1" + digits if _nanp_valid(digits) else None
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
