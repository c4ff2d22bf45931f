"""File names that are safe in an HTTP header (Content-Disposition).

A case number or an uploaded file's name may carry CR/LF, quotes or path
separators; set in a header as is, they make the response fail (Django refuses
newlines in headers) or split it. Everything but letters, digits, dot, dash
and underscore becomes ``_``.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def header_safe(name: str, *, default: str = "download", limit: int = 150) -> str:
    clean = _UNSAFE.sub("_", name or "").strip("._")[:limit].strip("._")
    return clean or default


def content_disposition(name: str, *, inline: bool = False, default: str = "download") -> str:
    kind = "inline" if inline else "attachment"
    return f'{kind}; filename="{header_safe(name, default=default)}"'
