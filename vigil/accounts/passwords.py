"""Password screening beyond length (NIST SP 800-63B §3.1.1.2; docs/security.md).

Three Django password validators, listed in settings.AUTH_PASSWORD_VALIDATORS:

- PredictablePasswordValidator: repetitive or sequential strings
  (`aaaaaaaaaaaa`, `abcabcabcabc`, `123456789012`, `qwertyuiopas`).
- ContextWordsValidator: the user's own name, e-mail name or user name, or the
  name of the service ("vigil"), also written with digits for letters.
- BreachedPasswordValidator: the 1.46 million passwords of 12 or more
  characters from the SecLists common-credential lists, shipped as 40-bit
  SHA-1 prefixes in data/breached.bin (built by data/build_breached.py;
  licences in data/LICENSE-breached.txt). A random password is refused by
  mistake about once in 750,000 tries.

No composition rules and no expiry: they make passwords worse (800-63B §3.1.1.2).
"""

from __future__ import annotations

import hashlib
import struct
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError

BREACHED_FILE = Path(__file__).with_name("data") / "breached.bin"
_MAGIC = b"VGLBRCH1"
_HEADER = len(_MAGIC) + 4
_INDEX = 65537 * 4

# Strings people type as a run: the alphabet, digits (0 follows 9), the
# keyboard's rows typed one after the other, and its columns.
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
)
_STEPS = frozenset(
    pair
    for seq in _SEQUENCES
    for s in (seq, seq[::-1])
    for pair in (s[i : i + 2] for i in range(len(s) - 1))
)
# Share of neighbouring characters that repeat or step along a sequence
# above which a password is predictable.
PREDICTABLE_SHARE = 0.6
_LEET = str.maketrans({"0": "o", "1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t", "8": "b", "9": "g"})  # fmt: skip
SERVICE_WORDS = ("vigil",)


def is_predictable(password: str) -> bool:
    text = password.lower()
    if len(set(text)) < 4:
        return True
    # One shorter string repeated ("abcabcabcabc", "a1b2a1b2a1b2").
    if text in (text + text)[1:-1]:
        return True
    pairs = [text[i : i + 2] for i in range(len(text) - 1)]
    predictable = sum(1 for p in pairs if p[0] == p[1] or p in _STEPS)
    return predictable >= PREDICTABLE_SHARE * len(pairs)


class PredictablePasswordValidator:
    def validate(self, password: str, user=None) -> None:
        if is_predictable(password):
            raise ValidationError(
                "This password is too predictable: it repeats characters or runs along the "
                "alphabet, the digits or the keyboard.",
                code="password_predictable",
            )

    def get_help_text(self) -> str:
        return "Your password can't be a repeated or sequential string such as 123456789012."


def context_words(user) -> list[str]:
    words = list(SERVICE_WORDS)
    if user is not None:
        for value in (
            getattr(user, "username", ""),
            getattr(user, "first_name", ""),
            getattr(user, "last_name", ""),
            (getattr(user, "email", "") or "").split("@")[0],
        ):
            value = (value or "").lower().strip()
            words += [w for w in [value, *value.replace(".", " ").replace("_", " ").split()]]
    return sorted({w for w in words if len(w) >= 4 or w == "vigil"}, key=len, reverse=True)


class ContextWordsValidator:
    def validate(self, password: str, user=None) -> None:
        text = password.lower()
        plain = text.translate(_LEET)
        for word in context_words(user):
            if word in text or word in plain:
                label = "the name of this service" if word in SERVICE_WORDS else "your name"
                raise ValidationError(
                    f"This password contains {label} ({word!r}): choose one without it.",
                    code="password_context",
                )

    def get_help_text(self) -> str:
        return "Your password can't contain your user name, your name or the word “vigil”."


@lru_cache(maxsize=1)
def _index(path: Path) -> tuple[int, tuple[int, ...]]:
    with open(path, "rb") as fh:
        head = fh.read(_HEADER + _INDEX)
    if head[: len(_MAGIC)] != _MAGIC or len(head) != _HEADER + _INDEX:
        raise ValueError(f"{path} is not a breached-password list")
    (count,) = struct.unpack(">I", head[len(_MAGIC) : _HEADER])
    return count, struct.unpack(">65537I", head[_HEADER:])


def breached_count(path: Path = BREACHED_FILE) -> int:
    return _index(path)[0]


def is_breached(password: str, path: Path = BREACHED_FILE) -> bool:
    """Is the password (as typed, or in lower case) in the shipped breached list?"""
    _, offsets = _index(path)
    candidates = {password, password.lower()}
    with open(path, "rb") as fh:
        for candidate in candidates:
            digest = hashlib.sha1(candidate.encode(), usedforsecurity=False).digest()
            bucket = digest[0] << 8 | digest[1]
            start, end = offsets[bucket], offsets[bucket + 1]
            fh.seek(_HEADER + _INDEX + 3 * start)
            entries = fh.read(3 * (end - start))
            suffix = digest[2:5]
            lo, hi = 0, end - start
            while lo < hi:  # entries are sorted within the bucket
                mid = (lo + hi) // 2
                probe = entries[3 * mid : 3 * mid + 3]
                if probe == suffix:
                    return True
                if probe < suffix:
                    lo = mid + 1
                else:
                    hi = mid
    return False


class BreachedPasswordValidator:
    def validate(self, password: str, user=None) -> None:
        if is_breached(password):
            raise ValidationError(
                "This password appears in lists of passwords exposed in data breaches: "
                "attackers try those first. Choose another.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password can't be one that appeared in a data breach."
