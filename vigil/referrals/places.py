"""Places for jurisdiction: U.S. states and territories, ZIP prefixes, country names.

Pure functions over small tables; no database. Territories are treated as U.S.
"states" (an office's area of responsibility is written ``US-PR``), because a
field office covers them the way it covers a state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vigil.lib import countries

STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    # Territories
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip
TERRITORIES = {"PR", "GU", "VI", "AS", "MP"}
_STATE_BY_NAME = {name.lower(): code for code, name in STATES.items()}
_STATE_BY_NAME.update({"virgin islands": "VI", "washington dc": "DC", "washington d c": "DC"})

# First three ZIP digits → state (USPS ranges); used when an address has a ZIP but no state.
_ZIP_RANGES: list[tuple[int, int, str]] = [
    (5, 5, "NY"), (6, 7, "PR"), (8, 8, "VI"), (9, 9, "PR"), (10, 27, "MA"), (28, 29, "RI"),
    (30, 38, "NH"), (39, 49, "ME"), (50, 54, "VT"), (55, 55, "MA"), (56, 59, "VT"),
    (60, 69, "CT"), (70, 89, "NJ"), (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"),
    (200, 200, "DC"), (201, 201, "VA"), (202, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"),
    (247, 268, "WV"), (270, 289, "NC"), (290, 299, "SC"), (300, 319, "GA"), (320, 339, "FL"),
    (341, 349, "FL"), (350, 369, "AL"), (370, 385, "TN"), (386, 397, "MS"), (398, 399, "GA"),
    (400, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"), (480, 499, "MI"), (500, 528, "IA"),
    (530, 549, "WI"), (550, 567, "MN"), (569, 569, "DC"), (570, 577, "SD"), (580, 588, "ND"),
    (590, 599, "MT"), (600, 629, "IL"), (630, 658, "MO"), (660, 679, "KS"), (680, 693, "NE"),
    (700, 714, "LA"), (716, 729, "AR"), (730, 731, "OK"), (733, 733, "TX"), (734, 749, "OK"),
    (750, 799, "TX"), (800, 816, "CO"), (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"),
    (850, 865, "AZ"), (870, 884, "NM"), (885, 885, "TX"), (889, 898, "NV"), (900, 961, "CA"),
    (967, 968, "HI"), (969, 969, "GU"), (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
]  # fmt: skip

_US_NAMES = {
    "us", "usa", "u s", "u s a", "united states", "united states of america", "america",
}  # fmt: skip
_COUNTRY_ALIASES = {
    "uk": "GB", "u k": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "great britain": "GB", "northern ireland": "GB", "holland": "NL", "the netherlands": "NL",
    "deutschland": "DE", "espana": "ES", "españa": "ES", "italia": "IT", "россия": "RU",
    "south korea": "KR", "korea": "KR", "russia": "RU", "czech republic": "CZ",
}  # fmt: skip


def state_for_zip(zip_code: str) -> str:
    digits = re.sub(r"\D", "", zip_code)[:3]
    if len(digits) < 3:
        return ""
    prefix = int(digits)
    for lo, hi, state in _ZIP_RANGES:
        if lo <= prefix <= hi:
            return state
    return ""


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """English country name (folded) → ISO 3166-1 alpha-2 (vigil.lib.countries), with aliases."""
    names = {_fold(name): code for code, name in countries.names_by_code().items()}
    names.update({_fold(k): v for k, v in _COUNTRY_ALIASES.items()})
    return names


def country_name(code: str) -> str:
    code = (code or "").upper()
    if code == "US":
        return "United States"
    return countries.names_by_code().get(code, code)


def country_code(name: str) -> str:
    """ISO code for an English country name (or the code itself); "" when unknown."""
    folded = _fold(name)
    if folded in _US_NAMES:
        return "US"
    if folded in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[folded]
    if len(folded) == 2 and folded.isalpha():
        return folded.upper()
    return _country_names().get(folded, "")


def _fold(text: str) -> str:
    text = re.sub(r"[.'’]", "", text.lower())
    return re.sub(r"\s+", " ", re.sub(r"[^\w ]", " ", text)).strip()


def normalise_county(name: str) -> str:
    """`Kings County` / `kings` → `kings` (counties are compared folded, without the word)."""
    folded = _fold(name)
    return re.sub(r"\s+(county|parish|borough|census area|municipality)$", "", folded).strip()


@dataclass(frozen=True)
class Place:
    """Where evidence points: a country, and for the U.S. a state (territories too) and county."""

    country: str
    state: str = ""
    county: str = ""

    @property
    def label(self) -> str:
        if self.country == "US" and self.state:
            text = STATES.get(self.state, self.state)
            if self.county:
                text = f"{self.county.title()} County, {text}"
            return f"{text}, United States"
        return country_name(self.country)

    @property
    def code(self) -> str:
        parts = [self.country] + ([self.state] if self.state else [])
        code = "-".join(parts)
        return f"{code}:{self.county}" if self.county else code


def normalise_place(country: str, state: str = "", county: str = "") -> Place:
    """U.S. territories given as countries (ISO PR, GU, …) become U.S. states."""
    country = (country or "").upper()
    state = (state or "").upper()
    if country in TERRITORIES:
        country, state = "US", country
    if country != "US":
        state, county = "", ""
    return Place(country, state, normalise_county(county) if county else "")


def parse_area(code: str) -> Place:
    """An area of responsibility as written in the directory: `US-NJ`, `US-NY:Kings`, `DE`.

    Raises ValueError with a clear message for anything else.
    """
    text = (code or "").strip()
    m = re.fullmatch(r"([A-Za-z]{2})(?:-([A-Za-z]{2}))?(?::(.+))?", text)
    if not m:
        raise ValueError(f"{text!r} is not an area (write US-NJ, US-NY:Kings or a country: DE)")
    country, state, county = m.group(1).upper(), (m.group(2) or "").upper(), m.group(3) or ""
    if country in TERRITORIES and not state:
        country, state = "US", country
    if state and country != "US":
        raise ValueError(f"{text!r}: states and counties are written for the U.S. only")
    if state and state not in STATES:
        raise ValueError(f"{text!r}: {state} is not a U.S. state or territory code")
    if county and not state:
        raise ValueError(f"{text!r}: a county needs its state (US-NY:Kings)")
    if country != "US" and not countries.is_country(country):
        raise ValueError(f"{text!r}: {country} is not an ISO 3166 country code")
    return Place(country, state, normalise_county(county) if county else "")


_STATE_ZIP_RE = re.compile(r"\b([A-Z]{2})\.?,?\s+(\d{5})(?:-\d{4})?\b")
_ZIP_RE = re.compile(r"\b(\d{5})(?:-\d{4})?\b")
_COUNTY_RE = re.compile(r"([A-Za-z][A-Za-z .'-]*?)\s+(?:County|Parish)\b", re.IGNORECASE)


def parse_address(text: str) -> Place | None:
    """Where a free-text postal address is, as far as the text itself says.

    Looks for a country name as the last part, then for a U.S. state (code
    before a ZIP, a code or name as a comma-separated part) and a county ("…
    County"), falling back to the ZIP prefix. None when nothing is recognised.
    """
    if not text or not text.strip():
        return None
    parts = [p.strip() for p in re.split(r"[,\n;]", text) if p.strip()]
    country = ""
    if parts:
        last = re.sub(r"\b\d[\d\s-]*$", "", parts[-1]).strip()  # "Germany 10115" → "Germany"
        # Two letters at the end are a state ("…, CA"), not a country; country names are longer.
        named = len(last) > 2 or _fold(last) in _COUNTRY_ALIASES or _fold(last) in _US_NAMES
        code = country_code(last) if last and named else ""
        if code and code != "US":
            return normalise_place(code)
        if code == "US":
            country = "US"
            parts = parts[:-1]
    upper = text.upper()
    state = ""
    zip_state = ""
    m = _STATE_ZIP_RE.search(upper)
    if m and m.group(1) in STATES:
        state = m.group(1)
    zm = _ZIP_RE.search(text)
    if zm:
        zip_state = state_for_zip(zm.group(1))
    if not state:
        for part in reversed(parts[1:] if len(parts) > 1 else parts):
            token = re.sub(r"\s+\d{5}(?:-\d{4})?$", "", part).strip()
            if token.upper() in STATES and len(token) == 2:
                state = token.upper()
                break
            if _fold(token) in _STATE_BY_NAME:
                state = _STATE_BY_NAME[_fold(token)]
                break
    if not state and zip_state and (country == "US" or len(parts) > 1):
        state = zip_state
    if not state:
        return Place("US") if country == "US" else None
    county = ""
    cm = _COUNTY_RE.search(text)
    if cm:
        county = cm.group(1).split(",")[-1].strip()
    return normalise_place("US", state, county)


def region_for_phone(e164: str) -> tuple[Place | None, str]:
    """Where a phone number is registered (country; for NANP numbers the state when known).

    Returns (place or None, description) using phonenumbers' offline metadata.
    """
    import phonenumbers
    from phonenumbers import geocoder

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None, ""
    region = phonenumbers.region_code_for_number(number)
    if not region or region == "ZZ":
        return None, ""
    description = geocoder.description_for_number(number, "en") or ""
    if region == "US":
        state = ""
        m = re.search(r",\s*([A-Z]{2})$", description)
        if m and m.group(1) in STATES:
            state = m.group(1)
        elif _fold(description) in _STATE_BY_NAME:
            state = _STATE_BY_NAME[_fold(description)]
        return normalise_place("US", state), description
    return normalise_place(region), description or country_name(region)
