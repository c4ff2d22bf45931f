"""One selector vocabulary: lib owns the types, the model's choices are built from them."""

from __future__ import annotations

import re
from pathlib import Path

from vigil.lib import selectors as sel
from vigil.tips.models import Selector

ROOT = Path(__file__).resolve().parents[2]


def test_it_takes_the_model_choices_from_lib():
    assert Selector.Type.choices == [(t.value, sel.LABELS[t]) for t in sel.SelectorType]
    assert Selector.Type.SSN == sel.SelectorType.SSN == sel.SSN
    assert Selector.Type("file_hash").label == "File hash"


def test_it_defines_the_hashed_types_once():
    definitions = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in ROOT.rglob("*.py")
        if "tests" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.match(r"\s*_?HASHED(_TYPES)?\s*(:[^=]*)?=\s*(frozenset|set|\{)", line)
    ]
    assert [d.split(":")[0] for d in definitions] == ["lib/selectors/types.py"], definitions
