"""Person-name normalisation, blocking keys and fuzzy scoring.

Pure Python (no Django). The deconfliction index stores `normalise_name()` of
every person selector plus its `name_keys()`; a new name is matched by probing
the index with its keys (blocking) and then scoring each candidate with
`score()` / `compare()`. Nothing here links anything: a score above the
threshold only raises a flag for an analyst.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import jellyfish

__all__ = [
    "NICKNAMES",
    "TITLES",
    "NameMatch",
    "canonical_first_names",
    "compare",
    "name_keys",
    "normalise_name",
    "score",
    "unicode_fold",
]

# Letters that NFKD does not decompose into a base letter plus accents.
_SPECIAL_LETTERS = str.maketrans(
    {
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "þ": "th",
        "ı": "i",
        "ŋ": "n",
        "ħ": "h",
        "ŧ": "t",
        "ſ": "s",
    }
)


def _fold_once(text: str) -> str:
    text = text.casefold().translate(_SPECIAL_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def unicode_fold(text: str) -> str:
    """Case-fold, decompose compatibility forms and strip accents ("José" → "jose").

    Repeated to a fixed point because NFKD can yield upper-case letters
    ("ℌ" → "H") and case folding can yield combining marks ("İ" → "i̇").
    """
    for _ in range(4):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


# Titles, honorifics and generational suffixes dropped from names. Words that
# are also common surnames (Lord, Bishop, King…) are deliberately absent.
TITLES: frozenset[str] = frozenset(
    """
    mr mrs ms miss mx messrs mme mlle dr sir dame prof rev fr hon
    jr jnr sr snr ii iii iv esq phd md dds
    """.split()
)

# Canonical given name: its variants and nicknames. Data, not code: extend
# freely. A variant may belong to several groups (alex → alexander and
# alexandra). Kept conservative: a name that is also commonly a name in its own
# right (Ian, Sean, Megan) is not folded into another.
_NICKNAME_TABLE = """
abigail: abby abbie gail
aaron: aron
alan: allan allen alun
albert: al bert bertie
alexander: alex alec al sasha sacha xander sandy alexandr aleksandr alejandro
alexandra: alex lexi lexie sasha sandra sandy aleksandra alexandria
alfred: al alf alfie fred freddie
andrew: andy drew andre andres
ann: anna anne annie nancy anita annette
anthony: tony ant antony antonio anton
arthur: art artie
barbara: barb babs barbie
benjamin: ben benny benji benjy
bradley: brad
brian: bryan brien
carl: karl
charles: charlie chuck chas chaz carlos
christina: chris christine kristina kristine tina chrissy kris
christopher: chris kit topher kris cristopher christoph cristobal
cynthia: cindy
daniel: dan danny dani
david: dave davey davy davide
deborah: debbie debra deb debby
donald: don donnie donny
dorothy: dot dottie dolly
douglas: doug
edward: ed eddie eddy ted teddy ned eduardo edouard
eleanor: ellie nell nellie elinor
elizabeth: liz lizzie lizzy beth betty bette betsy eliza elisabeth libby lisa liza elsie bess bessie
emily: em emmy millie
eric: erik
eugene: gene
frances: fran frannie francesca
francis: frank frankie fran francisco francois franz paco pancho
frederick: fred freddie freddy fritz federico
gabriel: gabe gabby
gerald: gerry jerry
gregory: greg gregg
harold: hal harry
henry: hank harry hal enrique henri heinrich
jacob: jake jacobo yaakov jakob
james: jim jimmy jimmie jamie jem jaime jacques
jeffrey: jeff geoffrey geoff jeffery
jennifer: jen jenny jenn jennie
jessica: jess jessie jessi
john: jack johnny jon jonny johnnie juan johann johannes giovanni
jonathan: jon jonny johnathan
joseph: joe joey jose giuseppe pepe josef
joshua: josh
judith: judy jude
katherine: catherine kathryn katharine kathrine kate katie katy kathy cathy kat kay kitty katya
kenneth: ken kenny
lawrence: larry laurence lorenzo laurie
leonard: leo len lenny leon
louis: lou louie luis lewis ludwig
mark: marc marco marko
margaret: maggie meg peggy peg marge margie madge greta gretchen margarita margo margot
mary: maria marie molly polly mae mamie
matthew: matt matty mathew matteo mateo matthias
michael: mike mikey mick mickey micky mikhail miguel michel mikael
mohammed: muhammad mohammad mohamed muhammed mohamad mehmet mo
nathaniel: nate nat nathan natty
nicholas: nick nicky nico nicolas nikolai nikolas klaus
patricia: pat patty patti trish tricia trisha
patrick: pat paddy patricio
peter: pete pedro pierre pietro piotr petr
philip: phil phillip pip felipe filip
raymond: ray ramon
rebecca: becky becca becki reba
richard: dick rich richie rick ricky rico ricardo dickie
robert: bob bobby rob robbie robby bert roberto
ronald: ron ronnie ronny
samantha: sam sammy sammie
samuel: sam sammy sammie shmuel
sean: shawn shaun
sarah: sara sally sadie
stephen: steve steven stevie stephan stefan esteban etienne
susan: sue susie suzy suzanne susanna susannah suzie
theodore: theo ted teddy
thomas: tom tommy thom tomas tommie
timothy: tim timmy
victoria: vicky vickie tori vicki
vincent: vince vinnie vinny vincenzo
walter: walt wally
william: bill billy billie will willie willy liam guillermo wilhelm willem wil
zachary: zach zack zak zachariah
"""


def _build_nicknames(data: str) -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in data.strip().splitlines():
        canonical, _, variants = line.partition(":")
        canonical = canonical.strip()
        for name in (canonical, *variants.split()):
            table.setdefault(name, set()).add(canonical)
    return {name: frozenset(canonicals) for name, canonicals in table.items()}


# Any given name (folded, lower-case) → the canonical names it may stand for.
NICKNAMES: dict[str, frozenset[str]] = _build_nicknames(_NICKNAME_TABLE)

_APOSTROPHES = re.compile(r"['‘’`´ʼʹ]")
_LETTERS = re.compile(r"[^\W\d_]+")
_OCR_DIGITS = str.maketrans({"0": "o", "1": "l", "5": "s", "3": "e", "4": "a", "8": "b"})
# A run of letters holding digits that OCR confuses with letters.
_OCR_DIGIT_RE = re.compile(r"(?<![\d])[^\W_]*[a-z][^\W_]*(?![\d])")


def normalise_name(raw: str) -> str:
    """Return the comparable form of a person's name ("" when nothing is left).

    Folds Unicode and case, drops punctuation and titles, turns
    "LAST, FIRST MIDDLE" into "first middle last" and drops single-letter
    middle initials. Idempotent.
    """
    text = _APOSTROPHES.sub("", unicode_fold(raw))
    # OCR reads letters as digits inside a word ("J0hn", "Wi1son"): read them back.
    text = _OCR_DIGIT_RE.sub(lambda m: m.group().translate(_OCR_DIGITS), text)
    parts = [[t for t in _LETTERS.findall(part) if t not in TITLES] for part in text.split(",")]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    tokens = [t for p in parts[1:] for t in p] + parts[0] if len(parts) > 1 else parts[0]
    if len(tokens) > 2:
        tokens = [tokens[0], *(t for t in tokens[1:-1] if len(t) > 1), tokens[-1]]
    return " ".join(tokens)


def canonical_first_names(first: str) -> frozenset[str]:
    """The canonical given names a (normalised) first name may stand for."""
    return NICKNAMES.get(first, frozenset((first,)))


def _phonetic(token: str) -> str:
    try:
        key = jellyfish.metaphone(token)
    except Exception:  # jellyfish rejects some exotic input; fall back to the token
        key = ""
    return key or token


def name_keys(name: str, dob: date | None = None) -> set[str]:
    """Blocking keys for the deconfliction index ("<surname phonetic>|<first>").

    For each plausible (first name, surname) reading of the name — the written
    order, the reverse order, and for three or more tokens the second token or
    the joined tail as surname — it yields the surname's metaphone combined with
    each canonical first name (nicknames folded) and with the first-name
    initials (raw and canonical) so that a typo in the first name still shares
    a key. A single-token name yields "<phonetic>|". Two names that `score()`
    high share at least one key in all but pathological cases.
    """
    tokens = normalise_name(name).split()
    if not tokens:
        return set()
    year = f"@{dob.year}" if dob is not None else ""
    if len(tokens) == 1:
        single = _phonetic(tokens[0])
        return {f"{single}|", f"{single}|{year}"} if year else {f"{single}|"}
    readings: list[tuple[str, str]] = [(tokens[0], tokens[-1]), (tokens[-1], tokens[0])]
    if len(tokens) > 2:
        readings += [(tokens[0], tokens[1]), (tokens[0], "".join(tokens[1:]))]
    keys: set[str] = set()
    for first, surname in readings:
        sur = _phonetic(surname)
        keys.add(f"{sur}|{first[0]}")
        for canonical in canonical_first_names(first):
            keys.add(f"{sur}|{canonical}")
            keys.add(f"{sur}|{canonical[0]}")
        if year:
            # A surname alone, or a given name lost, still meets its full name
            # born the same year.
            keys.add(f"{sur}|{year}")
    # A typo that changes the surname's sound ("jonhson") still meets on the
    # given name and the surname's initial.
    first, surname = tokens[0], tokens[-1]
    if len(first) > 1:
        for canonical in canonical_first_names(first):
            keys.add(f"~{canonical}|{surname[0]}")
    return keys


@lru_cache(maxsize=65536)
def _token_similarity(a: str, b: str) -> float:
    """Jaro-Winkler, lowered by 0.04 per edit beyond the first.

    Plain Jaro-Winkler rates short names with several edits too high
    ("michael"/"michelle" 0.92); one typo stays cheap, more edits cost.
    """
    if a == b:
        return 1.0
    a, b = sorted((a, b))  # float results must not depend on argument order
    jw = jellyfish.jaro_winkler_similarity(a, b)
    edits = jellyfish.damerau_levenshtein_distance(a, b)
    plain = max(0.0, jw - 0.04 * max(0, edits - 1))
    fa, fb = _ocr_fold(a), _ocr_fold(b)
    if (fa, fb) == (a, b):
        return plain
    # Scanned and dictated records confuse m/rn, ph/f, c/k: one such confusion
    # costs what one typo costs.
    if fa == fb:
        return max(plain, 0.96)
    jw = jellyfish.jaro_winkler_similarity(fa, fb)
    edits = jellyfish.damerau_levenshtein_distance(fa, fb)
    return max(plain, max(0.0, jw - 0.04 * max(0, edits - 1)) - 0.02)


_OCR_PAIRS = (("rn", "m"), ("ph", "f"), ("ck", "k"), ("c", "k"), ("z", "s"), ("w", "v"))


def _ocr_fold(token: str) -> str:
    for a, b in _OCR_PAIRS:
        token = token.replace(a, b)
    return token


def _first_similarity(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return 1.0, "exact"
    ca, cb = canonical_first_names(a), canonical_first_names(b)
    if ca & cb:
        return 1.0, "nickname"
    if len(a) == 1 or len(b) == 1:
        # An initial against a full name: plausible, never enough on its own.
        return (0.85, "initial") if a[0] == b[0] else (0.0, "different")
    best = max(_token_similarity(x, y) for x in ca | {a} for y in cb | {b})
    return best, "similar"


def _surname_similarity(a: str, b: str) -> float:
    sim = _token_similarity(a, b)
    # Same metaphone and a close spelling (smith/smyth): raise to 0.95. Short
    # surnames (lee/li) are excluded: their metaphone keys collide far too often.
    if (
        sim < 0.95
        and min(len(a), len(b)) >= 4
        and jellyfish.damerau_levenshtein_distance(a, b) <= 2
        and _phonetic(a) == _phonetic(b)
    ):
        return 0.95
    return sim


def _directed_score(ta: list[str], tb: list[str]) -> tuple[float, str]:
    """Score name a against name b, reading a in its written order."""
    if len(ta) == 1 or len(tb) == 1:
        if len(ta) == 1 and len(tb) == 1:
            return _surname_similarity(ta[0], tb[0]), "single token"
        # A lone token against a full name can hint, never reach the threshold.
        best = max(_surname_similarity(x, y) for x in ta for y in tb)
        return 0.85 * best, "single token"

    first_a, last_a = ta[0], ta[-1]
    candidates: list[tuple[str, str, float, str]] = [
        (tb[0], tb[-1], 1.0, ""),
        (tb[-1], tb[0], 1.0, "reordered"),
    ]
    if len(tb) > 2:
        # Compound surnames (garcia lopez ~ garcia, mc donald ~ mcdonald).
        candidates.append((tb[0], tb[1], 0.97, "compound surname"))
        candidates.append((tb[0], "".join(tb[1:]), 0.97, "compound surname"))
    best, best_reason = 0.0, "different"
    for first_b, last_b, factor, how in candidates:
        fs, first_reason = _first_similarity(first_a, first_b)
        value = fs * _surname_similarity(last_a, last_b) * factor
        if not how:
            mid_a, mid_b = " ".join(ta[1:-1]), " ".join(tb[1:-1])
            if mid_a and mid_b:
                # Two different full middle names point to two people.
                value *= 0.75 + 0.25 * _token_similarity(mid_a, mid_b)
        if value > best:
            reasons = [r for r in (first_reason if first_reason != "exact" else "", how) if r]
            best, best_reason = value, ", ".join(reasons) or "similar"
    return best, best_reason


def _score_with_reason(a: str, b: str) -> tuple[float, str]:
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0.0, "empty"
    if na == nb:
        return 1.0, "exact"
    ta, tb = na.split(), nb.split()
    forward, backward = _directed_score(ta, tb), _directed_score(tb, ta)
    value, reason = max(forward, backward, key=lambda r: (r[0], r[1]))
    if value >= 1.0 and reason == "similar":
        reason = "exact"
    return min(1.0, max(0.0, value)), reason


def score(a: str, b: str) -> float:
    """Similarity of two person names in [0, 1]; symmetric; 1.0 for equal names.

    Jaro-Winkler per token on normalised names, given names folded through the
    nickname table, the better of written and reversed order, first-name and
    surname similarities multiplied (so both must agree).
    """
    return _score_with_reason(a, b)[0]


def _digits_apart(a: date, b: date) -> int:
    return sum(x != y for x, y in zip(a.strftime("%Y%m%d"), b.strftime("%Y%m%d"), strict=True))


@dataclass(frozen=True, slots=True)
class NameMatch:
    score: float
    reason: str


def compare(
    a: str,
    b: str,
    *,
    dob_a: date | None = None,
    dob_b: date | None = None,
    threshold: float = 0.9,
) -> NameMatch | None:
    """A name match at or above `threshold`, or None.

    Dates of birth, when both are known: equal → +0.05 (capped at 1.0);
    different → no match (veto), except when they are the same date with day
    and month swapped (03/04 vs 04/03, a common transcription error), which
    neither boosts nor vetoes and is named in the reason.
    """
    value, reason = _score_with_reason(a, b)
    if dob_a is not None and dob_b is not None:
        if dob_a == dob_b:
            value = min(1.0, value + 0.05)
            reason += "; same date of birth"
        elif dob_a.year == dob_b.year and dob_a.month == dob_b.day and dob_a.day == dob_b.month:
            reason += "; date of birth day/month swapped"
        elif _digits_apart(dob_a, dob_b) <= 1:
            # One digit mistyped: no veto, but no boost and a small cost. Two digits
            # apart is as often another person (measured: bench/bench_names.py).
            value -= 0.02
            reason += "; date of birth differs by one digit"
        else:
            return None
    if value < threshold:
        return None
    return NameMatch(score=round(value, 4), reason=reason)
