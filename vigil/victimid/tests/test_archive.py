"""vigil/lib/archive.py: ZIPs from outside are read safely or refused as a whole."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from vigil.lib.archive import ArchiveError, inspect, iter_files


def _zip(entries, compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                zf.writestr(entry, b"target")
            else:
                zf.writestr(*entry)
    buf.seek(0)
    return buf


def test_it_reads_ordinary_members():
    got = [(m.name, data) for m, data in iter_files(_zip([("a/b.jpg", b"1"), ("./c.png", b"22")]))]
    assert got == [("a/b.jpg", b"1"), ("c.png", b"22")]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil.jpg", "path traversal"),
        ("a/../../evil.jpg", "path traversal"),
        ("..\\evil.jpg", "path traversal"),
        ("/etc/passwd", "absolute path"),
        ("C:\\x.jpg", "absolute path"),
        ("inner.zip", "nested archives"),
        ("inner.tar.gz", "nested archives"),
    ],
)
def test_it_refuses_unsafe_names(name, message):
    with pytest.raises(ArchiveError, match=message):
        list(iter_files(_zip([("ok.jpg", b"x"), (name, b"x")])))


def test_it_refuses_nested_archives_by_content():
    inner = _zip([("x.jpg", b"x")]).getvalue()
    with pytest.raises(ArchiveError, match="nested"):
        list(iter_files(_zip([("photo.jpg", inner)])))


def test_it_refuses_symlinks():
    info = zipfile.ZipInfo("link.jpg")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(ArchiveError, match="symbolic link"):
        inspect(_zip([info]))


def test_it_refuses_zip_bombs_and_oversized_archives():
    bomb = _zip([("zeros.jpg", b"\0" * (20 * 1024 * 1024))])
    with pytest.raises(ArchiveError, match="ZIP bomb"):
        inspect(bomb)
    with pytest.raises(ArchiveError, match="more than 1,000 bytes"):
        inspect(_zip([("a.jpg", b"x" * 600), ("b.jpg", b"y" * 600)]), max_total=1000)
    with pytest.raises(ArchiveError, match="holds 3 files, more than the limit of 2"):
        inspect(_zip([("a", b""), ("b", b""), ("c", b"")]), max_files=2)


def test_it_refuses_what_is_not_a_zip():
    with pytest.raises(ArchiveError, match="not a readable ZIP"):
        inspect(io.BytesIO(b"hello"))


def test_it_caps_a_member_that_lies_about_its_size():
    buf = _zip([("a.jpg", b"x" * 5000)], compression=zipfile.ZIP_STORED)
    raw = bytearray(buf.getvalue())
    # Shrink the declared size in the central directory; reading must stop there.
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    with pytest.raises(ArchiveError):
        list(iter_files(io.BytesIO(bytes(raw))))


def test_it_refuses_a_bomb_of_many_small_members_by_total_ratio():
    members = [(f"z{i}.jpg", b"\0" * 1_000_000) for i in range(60)]
    with pytest.raises(ArchiveError, match="60 files unpack to 60,000,000 bytes"):
        inspect(_zip(members))
    # Ordinary incompressible content of the same total passes.
    import os

    assert len(inspect(_zip([(f"r{i}.jpg", os.urandom(100_000)) for i in range(20)]))) == 20


@pytest.mark.parametrize(("offset", "value"), [(24, 10), (20, 10), (16, 0), (42, 10)])
def test_it_refuses_a_directory_entry_that_lies_with_an_archive_error(offset, value):
    buf = _zip([("a.jpg", b"x" * 5000), ("b.jpg", b"hello" * 100)])
    raw = bytearray(buf.getvalue())
    cd = raw.find(b"PK\x01\x02")
    raw[cd + offset : cd + offset + 4] = value.to_bytes(4, "little")
    with pytest.raises(ArchiveError):
        list(iter_files(io.BytesIO(bytes(raw))))
