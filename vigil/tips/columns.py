"""What a bulk import must not keep as it came: child/victim columns, SSNs, card numbers.

Every reader (CSV, XLSX, JSON, CyberTipline XML) asks this module about each
column name or element name, and the importer passes every row's attributes
through :func:`protect_attributes` before anything is written. Kept apart from
the readers so that a rewrite of the importer keeps the rules (docs/tips.md
lists them).

- :func:`is_child_column`: a column that names a child, a victim, a survivor or a
  complainant (``child_name``, ``minor_first_name``, ``Name of child``,
  ``child_dob``, ``victim``, ``survivor``, ``complainant``, common misspellings).
  Such a column is dropped unread and counted like a CyberTipline victim section.
- :func:`sensitive_kind`: ``"ssn"`` or ``"card"`` for a column that holds SSNs or
  payment card numbers (``SSN``, ``social_security_number``, ``card_number``,
  ``credit_card``, ``cc_number``, …); its values become encrypted selectors.
- :func:`protect_attributes`: a value anywhere else that *looks like* an SSN
  (``123-45-6789``, ``123 45 6789``, or nine digits) or a payment card number
  (13–19 digits, spaces or dashes allowed, Luhn-valid) becomes an encrypted
  selector and is masked in the attribute text. This errs on the side of
  secrecy: a nine-digit or Luhn-valid reference number in a free column is
  masked too (it stays searchable through its keyed hash).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from vigil.lib import crypto
from vigil.lib import selectors as sel

# --- names ----------------------------------------------------------------------------

_SEP = re.compile(r"[^a-z0-9]+")

# Substrings of a compacted name (lower case, separators removed) that name a
# child or a victim; misspellings seen in the wild included.
_CHILD_PARTS = (
    "victim",
    "victum",
    "vicitm",
    "victm",
    "vitcim",
    "survivor",
    "survivour",
    "complainant",
    "complaintant",
    "complainent",
    "complainat",
    "child",
    "chlid",
    "chld",
    "minor",
    "juvenile",
    "infant",
    "toddler",
    "intendedrecipient",
)
# Whole words (after splitting on separators) that name a child.
_CHILD_WORDS = {"kid", "kids", "baby", "babies", "son", "daughter", "youth", "juv"}
# Names that contain such a part but carry no data about a child (CyberTipline
# report annotations are empty flag elements).
_NOT_CHILD = {"minortominorinteraction"}

_SSN_NAMES = {
    "ssn",
    "ssns",
    "ssnnumber",
    "ssnno",
    "ssnnum",
    "ssnum",
    "ssno",
    "socialsecurity",
    "socialsecuritynumber",
    "socialsecurityno",
    "socialsecuritynum",
    "socialsecuritynr",
    "socialsecuritynumbers",
    "socsec",
    "socsecno",
    "socsecnum",
    "socsecnumber",
    "ssnumber",
    "taxpayerssn",
}
_CARD_NAMES = {
    "card",
    "cards",
    "cardnumber",
    "cardnumbers",
    "cardno",
    "cardnum",
    "cardnr",
    "creditcard",
    "creditcards",
    "creditcardnumber",
    "creditcardno",
    "creditcardnum",
    "debitcard",
    "debitcardnumber",
    "debitcardno",
    "paymentcard",
    "paymentcardnumber",
    "bankcard",
    "bankcardnumber",
    "cc",
    "ccn",
    "ccno",
    "ccnum",
    "ccnumber",
    "pan",
    "cardpan",
}
# A person's SSN or card is often prefixed: suspect_ssn, subject_card_number.
_PREFIXES = ("suspect", "subject", "user", "reported", "primary", "account", "holder", "the")


def compact(name: str) -> str:
    return _SEP.sub("", (name or "").lower())


def _words(name: str) -> list[str]:
    # "childDob" and "child_dob" alike: split camelCase before lower-casing.
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name or "")
    return [w for w in _SEP.split(spaced.lower()) if w]


@functools.lru_cache(maxsize=4096)  # asked for every cell of a file: a handful of names
def is_child_column(name: str) -> bool:
    """A column (or XML element) that names a child or a victim: drop it unread."""
    flat = compact(name)
    if not flat or flat in _NOT_CHILD:
        return False
    if any(part in flat for part in _CHILD_PARTS):
        return True
    return any(w in _CHILD_WORDS for w in _words(name))


@functools.lru_cache(maxsize=4096)
def sensitive_kind(name: str) -> str | None:
    """``"ssn"`` / ``"card"`` for a column that holds SSNs / payment card numbers."""
    flat = compact(name)
    for prefix in ("", *_PREFIXES):
        if prefix and not flat.startswith(prefix):
            continue
        rest = flat[len(prefix) :]
        if rest in _SSN_NAMES:
            return "ssn"
        if rest in _CARD_NAMES:
            return "card"
    return None


# --- values ---------------------------------------------------------------------------

# An SSN with separators (or none) in the 3-2-4 grouping; a card number of 13-19
# digits in groups. Digit boundaries keep them from matching inside longer numbers.
_SSN_RE = re.compile(r"(?<![0-9])[0-9]{3}([- ]?)[0-9]{2}\1[0-9]{4}(?![0-9])")
_CARD_RE = re.compile(r"(?<![0-9])[0-9](?:[- ]?[0-9]){12,18}(?![0-9])")
# Nine digits, a dash or space allowed between any two: inside every match of both
# patterns above, and one scan finds it (no lookbehind tried at each position).
_NINE_DIGITS = re.compile(r"[0-9](?:[- ]?[0-9]){8}")


def value_kind(text: str) -> str | None:
    """``"ssn"`` / ``"card"`` when the whole value is one."""
    text = (text or "").strip()
    if not text or len(text) > 40:
        return None
    if _SSN_RE.fullmatch(text) and sel.normalise("ssn", text):
        return "ssn"
    if sel.normalise("card", text):
        return "card"
    return None


def find_sensitive(text: str) -> list[tuple[str, str, int, int]]:
    """Every SSN / card number inside free text: (kind, raw, start, end), in order."""
    if not text or not _NINE_DIGITS.search(text):
        return []
    found: list[tuple[str, str, int, int]] = []
    taken: list[tuple[int, int]] = []
    for m in _CARD_RE.finditer(text):
        raw = m.group().strip(" -")
        if sel.normalise("card", raw):
            found.append(("card", raw, m.start(), m.start() + len(raw)))
            taken.append((m.start(), m.end()))
    for m in _SSN_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        if sel.normalise("ssn", m.group()):
            found.append(("ssn", m.group(), m.start(), m.end()))
    return sorted(found, key=lambda f: f[2])


def mask_text(text: str) -> tuple[str, list[tuple[str, str]]]:
    """`text` with each SSN / card number masked, and the (kind, raw) values found."""
    hits = find_sensitive(text)
    if not hits:
        return text, []
    out, last = [], 0
    for kind, raw, start, end in hits:
        out.append(text[last:start])
        out.append(crypto.mask(kind, sel.normalise(kind, raw) or raw))
        last = end
    out.append(text[last:])
    return "".join(out), [(k, r) for k, r, _s, _e in hits]


def protect_attributes(attributes: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Attributes with SSNs / card numbers masked, and the values taken out of them.

    A value that is wholly an SSN or a card number (bare nine digits included)
    is removed from the attributes; one inside longer text is masked in place.
    """
    kept: dict[str, Any] = {}
    taken: list[tuple[str, str]] = []
    for key, value in attributes.items():
        if isinstance(value, list):
            items = []
            for v in value:
                if not isinstance(v, str):
                    items.append(v)
                    continue
                kind = value_kind(v)
                if kind:
                    taken.append((kind, v.strip()))
                    continue
                masked, found = mask_text(v)
                taken.extend(found)
                items.append(masked)
            if items:
                kept[key] = items
            continue
        if not isinstance(value, str):
            kept[key] = value
            continue
        kind = value_kind(value)
        if kind:
            taken.append((kind, value.strip()))
            continue
        masked, found = mask_text(value)
        taken.extend(found)
        kept[key] = masked
    return kept, taken
