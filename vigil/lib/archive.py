"""Safe reading of untrusted ZIP archives (match requests, imports).

Nothing is ever written to disk by name: members are read into memory (each
bounded) and handed to the caller, so a hostile member name cannot escape any
directory. Still, names are checked and the archive is refused as a whole when
any member is unsafe, so the user gets one clear error instead of a silently
partial upload.

Refused, with an :class:`ArchiveError` whose message says why:

- member names that are absolute (``/etc/x``, ``C:\\x``, ``\\\\host\\x``) or climb out
  (``../x``, ``a/../../x``);
- symbolic links (Unix mode bits in ``external_attr``);
- nested archives (a ZIP, 7z, RAR, tar, gzip, bzip2 or xz member, by name or magic);
- more than ``max_files`` members, a declared total above ``max_total`` bytes, a
  member whose compression ratio is above ``max_ratio``, and a whole archive whose
  declared total is above ``max_ratio`` times its real size on disk (ZIP bombs:
  many small members of zeros each pass the per-member check). All of this is
  counted from the central directory *before* anything is extracted; the real
  file size is used for the total ratio because a member's compressed size is
  only what the directory claims;
- a member that inflates past its declared size, fails its CRC or whose directory
  entry otherwise lies about it, while being read;
- encrypted members and files that are not ZIP archives at all.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

MAX_FILES = 1000
MAX_TOTAL = 2 * 1024**3  # 2 GiB uncompressed
MAX_RATIO = 100
# Ratios are meaningless for tiny members (a 10-byte file may "compress" 1:1000 as
# stored metadata); below this uncompressed size the ratio is not checked.
RATIO_MIN_SIZE = 1024 * 1024

_ARCHIVE_SUFFIXES = {
    ".zip",
    ".7z",
    ".rar",
    ".tar",
    ".tgz",
    ".gz",
    ".bz2",
    ".xz",
    ".zst",
    ".cab",
    ".jar",
    ".apk",
}
_ARCHIVE_MAGIC = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",
    b"MSCF",
)


# What zipfile and zlib raise for a damaged or lying archive (bad CRC, a size or
# offset that does not match the data, an unsupported compression method).
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class ArchiveError(Exception):
    """The archive as a whole is refused; the message is for the user."""


@dataclass(frozen=True)
class Member:
    name: str  # normalised relative POSIX path
    size: int  # declared uncompressed size
    compressed: int


def _safe_name(raw: str) -> str:
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(
            f"The archive member {raw!r} has an absolute path; refusing the archive."
        )
    parts = PurePosixPath(name).parts
    if any(p == ".." for p in parts):
        raise ArchiveError(
            f"The archive member {raw!r} points outside the archive (path traversal); "
            "refusing the archive."
        )
    clean = "/".join(p for p in parts if p not in ("", "."))
    if not clean:
        raise ArchiveError(f"The archive member {raw!r} has an empty name; refusing the archive.")
    return clean


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode)


def _looks_like_archive(name: str) -> bool:
    lower = name.lower()
    return any(lower.endswith(s) for s in _ARCHIVE_SUFFIXES) or lower.endswith(".tar.gz")


def inspect(
    fileobj: IO[bytes],
    *,
    max_files: int = MAX_FILES,
    max_total: int = MAX_TOTAL,
    max_ratio: int = MAX_RATIO,
) -> list[Member]:
    """Check the whole archive and list its regular files (directories skipped)."""
    try:
        fileobj.seek(0, 2)
        archive_size = fileobj.tell()
        fileobj.seek(0)
        zf = zipfile.ZipFile(fileobj)
    except _DAMAGED as exc:
        raise ArchiveError(f"The file is not a readable ZIP archive ({exc}).") from None
    with zf:
        infos = zf.infolist()
        files = [i for i in infos if not i.is_dir()]
        if len(files) > max_files:
            raise ArchiveError(
                f"The archive holds {len(files):,} files, more than the limit of {max_files:,}."
            )
        total = 0
        members = []
        seen: set[str] = set()
        for info in infos:
            name = _safe_name(info.filename)
            if _is_symlink(info):
                raise ArchiveError(
                    f"The archive member {info.filename!r} is a symbolic link; refusing the archive."
                )
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ArchiveError(
                    f"The archive member {info.filename!r} is encrypted; send an unencrypted archive."
                )
            if _looks_like_archive(name):
                raise ArchiveError(
                    f"The archive member {info.filename!r} is itself an archive; nested archives "
                    "are refused. Unpack it and send its files."
                )
            total += info.file_size
            if total > max_total:
                raise ArchiveError(
                    f"The archive unpacks to more than {max_total:,} bytes; refusing it."
                )
            if info.file_size >= RATIO_MIN_SIZE and info.file_size > max_ratio * max(
                info.compress_size, 1
            ):
                raise ArchiveError(
                    f"The archive member {info.filename!r} expands {info.file_size // max(info.compress_size, 1):,} "
                    f"times (limit {max_ratio}): it looks like a ZIP bomb; refusing the archive."
                )
            if name in seen:
                raise ArchiveError(f"The archive holds {name!r} twice; refusing the archive.")
            seen.add(name)
            members.append(Member(name, info.file_size, info.compress_size))
        if total >= RATIO_MIN_SIZE and total > max_ratio * max(archive_size, 1):
            raise ArchiveError(
                f"The archive's {len(members):,} files unpack to {total:,} bytes, "
                f"{total // max(archive_size, 1):,} times its size (limit {max_ratio}): "
                "it looks like a ZIP bomb; refusing the archive."
            )
        return members


def iter_files(
    fileobj: IO[bytes],
    *,
    max_files: int = MAX_FILES,
    max_total: int = MAX_TOTAL,
    max_ratio: int = MAX_RATIO,
) -> Iterator[tuple[Member, bytes]]:
    """Yield ``(member, data)`` for every regular file, after :func:`inspect` passed.

    Each member is read with a hard cap at its declared size (a lying header
    cannot inflate past it), and checked again for a nested archive by its magic.
    """
    members = inspect(fileobj, max_files=max_files, max_total=max_total, max_ratio=max_ratio)
    fileobj.seek(0)
    with zipfile.ZipFile(fileobj) as zf:
        by_name = {_safe_name(i.filename): i for i in zf.infolist() if not i.is_dir()}
        for member in members:
            info = by_name[member.name]
            try:
                with zf.open(info) as fh:
                    data = fh.read(member.size + 1)
            except _DAMAGED as exc:
                raise ArchiveError(
                    f"The archive member {info.filename!r} is damaged or its directory entry "
                    f"does not match its data ({exc}); refusing the archive."
                ) from None
            if len(data) > member.size:
                raise ArchiveError(
                    f"The archive member {info.filename!r} is larger than its header says; "
                    "refusing the archive."
                )
            if data.startswith(_ARCHIVE_MAGIC) and not _is_office_like(member.name):
                raise ArchiveError(
                    f"The archive member {info.filename!r} is itself an archive; nested archives "
                    "are refused. Unpack it and send its files."
                )
            yield member, data


def _is_office_like(name: str) -> bool:
    # DOCX/XLSX/ODT are ZIP containers but documents, not archives a user nested.
    return name.lower().endswith((".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub"))
