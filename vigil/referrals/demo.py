"""Demo directory for `make run`: the shipped example file (fictitious offices and contacts)."""

from __future__ import annotations

from pathlib import Path

from vigil.referrals import directory
from vigil.referrals.models import Office

EXAMPLE = Path(__file__).resolve().parent / "data" / "directory.example.csv"


def load(actor) -> str:
    if Office.objects.exists():
        return ""
    result = directory.load(EXAMPLE.read_text(encoding="utf-8"), actor=actor)
    if result.errors:
        return "directory not loaded: " + "; ".join(result.errors)
    return f"{result.created} offices and agencies in the directory"
