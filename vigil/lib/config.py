"""Where lib reads the project's settings, without importing Django.

The project plugs its settings in once (`vigil.core.apps.CoreConfig.ready` calls `use`); until
then, and for library use outside the project, every setting reads as its default. Reads happen
at call time, so a test's settings override is seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_source: Callable[[str, Any], Any] | None = None


def use(source: Callable[[str, Any], Any] | None) -> None:
    """Read settings through `source(name, default)` from now on (None: defaults only)."""
    global _source
    _source = source


def get(name: str, default: Any = None) -> Any:
    return default if _source is None else _source(name, default)
