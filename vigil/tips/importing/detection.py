"""Which reader a file needs: by its name, else by its first bytes."""

from __future__ import annotations

from pathlib import Path

from vigil.lib import selectors as sel


def _ip_line(data: bytes) -> bool:
    """Does the first line of `data` start with an IP (an IP list's line: `IP[,time]`)?"""
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    return sel.parse_ip_observation(first.split(",")[0].strip()) is not None


def detect_format(path: str | Path, head: bytes) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in {".xlsx", ".xlsm"} or head.startswith(b"PK\x03\x04"):
        return "xlsx"
    text = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if suffix == ".xml" or text.startswith(b"<"):
        return "cybertipline"
    # "[" opens a JSON list, and an IP list whose first line is "[2001:db8::1]:443".
    if suffix == ".json" or (text.startswith(b"[") and not _ip_line(text)):
        return "json"
    if suffix in {".txt", ".ips", ".lst"}:
        return "iplist"
    first = text.split(b"\n", 1)[0]
    if b"," not in first or _ip_line(text):
        return "iplist"
    return "csv"
