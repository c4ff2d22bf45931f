"""Packages: signed, encrypted, refused whole when anything is wrong."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from vigil.audit.models import AuditEvent
from vigil.exchange import keys
from vigil.exchange.models import Conflict, PackageReceipt, Provenance, Record, Transfer
from vigil.victimid import actions as victimid_actions
from vigil.victimid.models import Media, Series

from .conftest import DATA, make_partner


def _pattern(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(small).resize((128, 128)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture
def world(db, personas, sharer):
    """NCMEC's records, one local series with a real (generated) picture, and LOOP:
    a partner holding this instance's own keys, so a package for it comes back to us."""
    ncmec = make_partner("NCMEC")
    with open(DATA / "quirks-1.3.json", "rb") as fh:
        from vigil.exchange import actions

        actions.do_import_vics(fh, actor=None, partner=ncmec, filename="q.json")
    series = victimid_actions.do_create_series(
        actor=personas.manager,
        data={"name": "Local series", "victim_identified": True, "victim_age_range": "9-12"},
    )
    victimid_actions.do_add_media(
        series, actor=personas.manager, data=_pattern(1), filename="p.jpg"
    )
    me = keys.identity()
    loop = make_partner("LOOP", may_receive=4, sends=4)
    loop.signing_key, loop.age_recipient = me.signing_public, me.age_recipient
    loop.save()
    return ncmec, loop


def _wipe():
    Conflict.objects.all().delete()
    Provenance.objects.all().delete()
    Record.objects.all().delete()
    Media.objects.all().delete()
    Series.objects.all().delete()


def _export(tmp_path, name="LOOP", out="p.age", sharer="sharer"):
    path = tmp_path / out
    call_command("export_partner", name, "--user", sharer, "--out", str(path))
    return path


def _import(path):
    call_command("import_package", str(path), "--json")


def _nothing_imported(before_media: int):
    assert Media.objects.count() == before_media
    assert not Transfer.objects.filter(direction="in", method="package").exists()
    assert not PackageReceipt.objects.exists()


def test_it_carries_records_series_and_media_to_the_partner(world, tmp_path, capsys):
    path = _export(tmp_path)
    assert path.read_bytes().startswith(b"age-encryption.org/v1")
    out = capsys.readouterr().out
    assert "7 record(s), 3 series, 1 thumbnail(s), 1 media file(s)" in out
    sent = AuditEvent.objects.filter(action="exchange.send").get()
    assert sent.changes["partner"] == "LOOP" and len(sent.changes["records"]) == 7
    _wipe()
    _import(path)
    summary = json.loads(capsys.readouterr().out)
    assert summary["created"] == 7 and summary["rejected"] == []
    local = Series.objects.get(name="Local series")
    assert local.victim_identified and local.victim_age_range == "9-12"
    media = Media.objects.get(series=local)
    assert media.has_file and media.sha256
    assert Record.objects.count() == 7
    assert Transfer.objects.get(direction="in", method="package").partner.name == "LOOP"


def test_it_refuses_a_replayed_or_older_package(world, tmp_path):
    first = _export(tmp_path, out="1.age")
    second = _export(tmp_path, out="2.age")
    _import(second)
    before = Media.objects.count()
    with pytest.raises(CommandError, match=r"older than the last one taken from LOOP \(number 2\)"):
        _import(first)
    with pytest.raises(CommandError, match="imported before \\(replayed\\)"):
        _import(second)
    assert Media.objects.count() == before and PackageReceipt.objects.count() == 1


def test_it_refuses_a_package_for_another_recipient(world, tmp_path):
    path = _export(tmp_path, name="NCMEC")
    before = Media.objects.count()
    with pytest.raises(CommandError, match="not addressed to this instance"):
        _import(path)
    _nothing_imported(before)


def test_it_refuses_a_tampered_byte(world, tmp_path):
    path = _export(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    before = Media.objects.count()
    with pytest.raises(CommandError, match="damaged or was altered"):
        _import(path)
    _nothing_imported(before)


def test_it_refuses_an_unknown_signer(world, tmp_path):
    _, loop = world
    path = _export(tmp_path)
    loop.signing_key = make_partner("SPARE").signing_key
    loop.save()
    before = Media.objects.count()
    with pytest.raises(CommandError, match="unknown signer"):
        _import(path)
    _nothing_imported(before)


def _rewrite(path, change, *, resign=True):
    """Open our own package, change it, put it back together (re-signed or not)."""
    plain = keys.decrypt(path.read_bytes())
    src = zipfile.ZipFile(io.BytesIO(plain))
    files = {n: src.read(n) for n in src.namelist()}
    manifest = json.loads(files["manifest.json"])
    change(files, manifest)
    blob = json.dumps(manifest, indent=1, sort_keys=True).encode()
    files["manifest.json"] = blob
    if resign:
        files["manifest.sig"] = base64.b64encode(keys.sign(blob))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    path.write_bytes(keys.encrypt_to(keys.identity().age_recipient, buf.getvalue()))


@pytest.mark.parametrize(
    "change, resign, message",
    [
        (lambda f, m: m["counts"].update(records=99), True, "counts do not match"),
        (lambda f, m: f.update({"extra.txt": b"x"}), True, "does not match its manifest"),
        (lambda f, m: f.update({"series.json": b"[]"}), True, "series.json does not match"),
        (lambda f, m: m["counts"].update(records=99), False, "signature does not match"),
        (lambda f, m: m["recipient"].update(age_recipient="age1other"), True, "another recipient"),
    ],
)
def test_it_refuses_a_package_that_does_not_match_its_manifest(
    world, tmp_path, change, resign, message
):
    path = _export(tmp_path)
    _rewrite(path, change, resign=resign)
    _wipe()
    received = AuditEvent.objects.filter(action="exchange.receive").count()
    with pytest.raises(CommandError, match=message):
        _import(path)
    _nothing_imported(0)
    assert AuditEvent.objects.filter(action="exchange.receive").count() == received


def test_it_sends_nothing_to_a_suspended_partner(world, tmp_path):
    _, loop = world
    loop.status = "suspended"
    loop.save()
    with pytest.raises(CommandError, match="suspended: nothing is sent"):
        _export(tmp_path)
    assert not (tmp_path / "p.age").exists()


def test_it_keeps_thumbnails_and_media_to_partners_that_may_have_them(world, tmp_path):
    _, loop = world
    loop.may_receive = 2
    loop.save()
    path = _export(tmp_path)
    names = zipfile.ZipFile(io.BytesIO(keys.decrypt(path.read_bytes()))).namelist()
    assert "series.json" in names
    assert not [n for n in names if n.startswith(("thumbs/", "media/"))]
    loop.may_receive = 1
    loop.save()
    path = _export(tmp_path, out="h.age")
    plain = zipfile.ZipFile(io.BytesIO(keys.decrypt(path.read_bytes())))
    assert "series.json" not in plain.namelist()
    value = json.loads(plain.read("records.json"))["value"]
    assert all(m["Series"] is None for m in value)
