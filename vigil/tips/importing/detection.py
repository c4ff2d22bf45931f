"""Which reader a file needs: by its name, else by its first bytes."""

from __future__ import annotations

from pathlib import Path

from vigil.lib import selectors as sel


def detect_format(path: str | Path, head: bytes) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in {".xlsx", ".xlsm"} or head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if suffix == ".xml" or head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return "cybertipline"
    if suffix == ".json" or head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"["):
        return "json"
    if suffix in {".txt", ".ips", ".lst"}:
        return "iplist"
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    if "," not in first or sel.parse_ip_observation(first.split(",")[0]) is not None:
        return "iplist"
    return "csv"
