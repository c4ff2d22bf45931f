"""The no-victim-name rule for everything Vigil imports.

Vigil stores no victim-identifying information. An import (series.json, a JSON
API payload, a partner's hash list) that carries a victim's name under any key
is refused as a whole with a clear error, so nobody can mistake a partial
import for a clean one.
"""

from __future__ import annotations

import re
from typing import Any

VICTIM_NAME_KEY = re.compile(
    r"victim[\W_]*(?:first|last|full|given|family|middle|sur|nick|real|legal)?[\W_]*name"
    r"|name[\W_]*of[\W_]*(?:the[\W_]*)?victim",
    re.IGNORECASE,
)


class VictimNameError(ValueError):
    """The data names a victim; the message says where."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"The data holds a victim-name field ({path}). Vigil stores no victim-identifying "
            "information: remove that field and send the data again."
        )


def find_victim_name_keys(data: Any, path: str = "$") -> list[str]:
    """Every JSON path whose key looks like a victim's name, nested dicts and lists included,
    and property bags that name one ({"PropertyName": "VictimName", "Value": …}, as in VICS)."""
    found: list[str] = []
    if isinstance(data, dict):
        prop = data.get("PropertyName")
        if isinstance(prop, str) and VICTIM_NAME_KEY.search(prop):
            found.append(f"{path}(PropertyName={prop})")
        for key, value in data.items():
            here = f"{path}.{key}"
            if isinstance(key, str) and VICTIM_NAME_KEY.search(key):
                found.append(here)
            found.extend(find_victim_name_keys(value, here))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.extend(find_victim_name_keys(value, f"{path}[{i}]"))
    return found


def reject_victim_names(data: Any, where: str = "$") -> None:
    """Raise :class:`VictimNameError` if any key anywhere in `data` names a victim."""
    found = find_victim_name_keys(data, where)
    if found:
        raise VictimNameError(", ".join(found[:5]))
