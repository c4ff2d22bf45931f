"""Countries: the ISO 3166-1 alpha-2 codes and their English names, from phonenumbers'
locale data (already a dependency; no network, no extra table to keep up to date).

The codes are the 249 assigned ones, the retired AN that old records still carry, and XK
(Kosovo: user-assigned, but what registries, NCMEC and INTERPOL write).
"""

from __future__ import annotations

from functools import lru_cache

_EXTRA = {"XK": "Kosovo"}


@lru_cache(maxsize=1)
def names_by_code() -> dict[str, str]:
    """ISO code → English name."""
    from phonenumbers.geodata.locale import LOCALE_DATA

    out: dict[str, str] = {}
    for code, langs in LOCALE_DATA.items():
        if len(code) != 2 or not code.isalpha() or not isinstance(langs, dict):
            continue
        name = langs.get("en")
        for _ in range(3):  # "*aa": the same text as language "aa"
            if name and name.startswith("*"):
                name = langs.get(name[1:])
        if name:
            out[code.upper()] = name
    out.update(_EXTRA)
    return out


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code (upper case)."""
    return code in names_by_code()
