"""Synthetic person records with the corruptions real tip data shows (issue 15).

Fictitious names from common given names and surnames (lists below, chosen for
the purpose); each original gets one corrupted duplicate of a named kind. Used
by the name-matching tests and by bench/bench_names.py, which reports recall
and precision per kind.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

FIRST = """james mary robert patricia john jennifer michael linda david elizabeth william barbara
richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy matthew betty
anthony margaret mark sandra donald ashley steven kimberly paul emily andrew donna joshua michelle
kenneth carol kevin amanda brian dorothy george melissa timothy deborah ronald stephanie edward
rebecca jason sharon jeffrey laura ryan cynthia jacob kathleen gary amy nicholas angela eric shirley
jonathan anna stephen brenda larry pamela justin emma scott nicole brandon helen benjamin samantha
samuel katherine gregory christine alexander debra frank rachel patrick carolyn raymond janet jack
catherine dennis maria jerry heather tyler diane aaron ruth jose julie adam olivia nathan joyce henry
virginia douglas victoria zachary kelly peter lauren kyle christina ethan joan walter evelyn noah
judith jeremy megan christian andrea keith cheryl roger hannah terry jacqueline gerald martha harold
gloria sean teresa austin ann carl sara arthur madison lawrence frances dylan kathryn jesse janice
jordan jean bryan abigail billy alice joe judy bruce sophia gabriel grace logan denise albert amber
willie doris alan marilyn juan danielle wayne beverly elijah isabella randy theresa roy diana vincent
natalie ralph brittany eugene charlotte russell marie bobby kayla mason alexis philip lori""".split()

SURNAMES = """smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez
lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris
sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill flores
green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips evans turner
diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez ortiz
morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez
wood james bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long ross
foster jimenez powell jenkins perry russell sullivan bell coleman butler henderson barnes gonzales
fisher vasquez simmons romero jordan patterson alexander hamilton graham reynolds griffin wallace
moreno west cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford castro
marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry chen freeman
webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw snyder mason
dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills
meyer rice schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant
dunn kelley spencer hawkins arnold pierce vazquez hansen peters santos hart bradley knight elliott
cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray delgado berry perkins
hoffman johnston matthews pena richards willis carpenter lawrence sandoval""".split()

KINDS = (
    "typo_insert",
    "typo_delete",
    "typo_substitute",
    "typo_transpose",
    "ocr_phonetic",
    "swap_names",
    "given_missing",
    "given_initial",
    "dob_one_digit",
    "dob_two_digits",
    "dob_day_month",
    "dob_missing",
)

_CONFUSIONS = [
    ("m", "rn"),
    ("rn", "m"),
    ("o", "0"),
    ("l", "1"),
    ("ph", "f"),
    ("f", "ph"),
    ("c", "k"),
    ("k", "c"),
    ("i", "l"),
    ("s", "z"),
    ("v", "w"),
]


@dataclass(frozen=True)
class Person:
    key: int  # the same person for an original and its duplicate
    first: str
    last: str
    dob: dt.date | None
    kind: str = "original"

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first, self.last) if p)


def _typo(word: str, rng: random.Random, kind: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == "typo_insert":
        return word[:i] + rng.choice(letters) + word[i:]
    if kind == "typo_delete":
        return word[:i] + word[i + 1 :]
    if kind == "typo_substitute":
        return word[:i] + rng.choice([c for c in letters if c != word[i]]) + word[i + 1 :]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]  # transpose


def _confuse(word: str, rng: random.Random) -> str:
    options = [(a, b) for a, b in _CONFUSIONS if a in word]
    if not options:
        return _typo(word, rng, "typo_substitute")
    a, b = rng.choice(options)
    return word.replace(a, b, 1)


def _dob_digits(dob: dt.date, rng: random.Random, n: int) -> dt.date:
    for _ in range(50):
        text = list(dob.strftime("%Y%m%d"))
        for pos in rng.sample([2, 3, 5, 7], n):
            text[pos] = str((int(text[pos]) + rng.randrange(1, 9)) % 10)
        try:
            new = dt.datetime.strptime("".join(text), "%Y%m%d").date()
        except ValueError:
            continue
        if new != dob:
            return new
    return dob.replace(day=1 if dob.day != 1 else 2)


def corrupt(p: Person, kind: str, rng: random.Random) -> Person:
    first, last, dob = p.first, p.last, p.dob
    if kind.startswith("typo_"):
        if rng.random() < 0.5:
            first = _typo(first, rng, kind)
        else:
            last = _typo(last, rng, kind)
    elif kind == "ocr_phonetic":
        if rng.random() < 0.5:
            first = _confuse(first, rng)
        else:
            last = _confuse(last, rng)
    elif kind == "swap_names":
        first, last = last, first
    elif kind == "given_missing":
        first = ""
    elif kind == "given_initial":
        first = first[0]
    elif kind == "dob_one_digit" and dob:
        dob = _dob_digits(dob, rng, 1)
    elif kind == "dob_two_digits" and dob:
        dob = _dob_digits(dob, rng, 2)
    elif kind == "dob_day_month" and dob and dob.day <= 12 and dob.day != dob.month:
        dob = dob.replace(month=dob.day, day=dob.month)
    elif kind == "dob_missing":
        dob = None
    return Person(p.key, first, last, dob, kind)


def records(n: int = 500, seed: int = 7) -> tuple[list[Person], list[Person]]:
    """n originals (distinct people) and one corrupted duplicate of each."""
    rng = random.Random(seed)
    seen: set[tuple[str, str, dt.date]] = set()
    originals: list[Person] = []
    while len(originals) < n:
        first, last = rng.choice(FIRST), rng.choice(SURNAMES)
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
        if (first, last, dob) in seen:
            continue
        seen.add((first, last, dob))
        originals.append(Person(len(originals), first, last, dob))
    dups = [corrupt(p, KINDS[i % len(KINDS)], rng) for i, p in enumerate(originals)]
    return originals, dups


def distractors(originals: list[Person], n: int = 224, seed: int = 11) -> list[Person]:
    """Different people who look alike: the same or a near name (another real given
    name one letter away, the same surname) and their own date of birth."""
    rng = random.Random(seed)
    near = {
        f: [
            g
            for g in FIRST
            if g != f and len(g) == len(f) and sum(x != y for x, y in zip(f, g, strict=True)) == 1
        ]
        for f in FIRST
    }
    out = []
    for i in range(n):
        p = originals[rng.randrange(len(originals))]
        first = rng.choice(near[p.first]) if near[p.first] and i % 2 else p.first
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
        out.append(Person(100_000 + i, first, p.last, dob, "distractor"))
    return out
