"""Loading the directory of offices and agencies from CSV (each organisation loads its own).

Format (UTF-8, header row, one organisation per row; the example is
`vigil/referrals/data/directory.example.csv`, the guide `docs/referrals.md`):

    code,name,kind,areas,contact_name,contact_email,contact_phone,address,age_recipient,notes,active

- code: unique key (letters, digits, - and _); a row with a known code updates it.
- kind: field_office, attache, icac, state_local, foreign_police, interpol, europol,
  ncmec, other.
- areas: areas of responsibility separated by ";": a U.S. state or territory
  (US-NJ, US-PR), a county where an office splits a state (US-NY:Kings), a
  country (DE) for attaché offices and foreign agencies. Empty: no area (NCMEC).
- age_recipient: the agency's age public key (age1…), for encrypted shares.
- active: yes/no (default yes).

The whole file is checked first; any bad row refuses the file with every error,
and nothing is changed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vigil.referrals import actions
from vigil.referrals.models import Office

# The file's columns: the office fields (referrals.actions.OFFICE_FIELDS), areas after kind.
COLUMNS = [*actions.OFFICE_FIELDS[:3], "areas", *actions.OFFICE_FIELDS[3:]]
REQUIRED = {"code", "name", "kind"}
_YES = {"", "1", "yes", "y", "true", "active"}
_NO = {"0", "no", "n", "false", "inactive"}


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _rows(text: str) -> tuple[list[dict[str, str]], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = REQUIRED - set(header)
    if missing:
        return [], [f"the header lacks the column(s) {', '.join(sorted(missing))}"]
    unknown = set(header) - set(COLUMNS)
    if unknown:
        return [], [f"unknown column(s) {', '.join(sorted(unknown))} (known: {', '.join(COLUMNS)})"]
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader], []


def load(text: str, *, actor: Any) -> LoadResult:
    result = LoadResult()
    rows, errors = _rows(text)
    if errors:
        result.errors = errors
        return result
    seen: set[str] = set()
    plan = []
    for n, row in enumerate(rows, start=2):
        code = row.get("code", "").lower()
        if code in seen:
            result.errors.append(f"line {n}: the code {code!r} appears twice")
            continue
        seen.add(code)
        active = row.get("active", "").lower()
        if active not in _YES | _NO:
            result.errors.append(f"line {n}: active is yes or no, not {row['active']!r}")
            continue
        fields = {k: row.get(k, "") for k in COLUMNS if k not in {"areas", "active"}}
        fields["active"] = active not in _NO
        try:
            fields = actions._clean_office(fields)
            actions.parse_areas(row.get("areas", ""))
        except ValidationError as exc:
            for name, msgs in exc.message_dict.items():
                result.errors.append(f"line {n}: {name}: {' '.join(msgs)}")
            continue
        except ValueError as exc:
            result.errors.append(f"line {n}: areas: {exc}")
            continue
        plan.append((fields, row.get("areas", "")))
    if not plan and not result.errors:
        result.errors.append("the file has no rows")
    if result.errors:
        return result
    with transaction.atomic():
        for fields, areas in plan:
            existing = Office.objects.filter(code=fields["code"]).first()
            actions.do_save_office(existing, actor=actor, areas=areas, **fields)
            if existing is None:
                result.created += 1
            else:
                result.updated += 1
    return result
