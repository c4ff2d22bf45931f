"""Signed, encrypted packages for partners without a live connection.

A package is a ZIP, encrypted with age to the partner's X25519 recipient:

    manifest.json   format, package id, sender (name, Ed25519 key), recipient
                    (name, age recipient), sequence, since, counts, SHA-256 of every file
    manifest.sig    Ed25519 signature of manifest.json by the sender
    records.json    the records, VICS 2.0
    series.json     series metadata (partners that may receive it)
    thumbs/<md5>.png, media/<md5>   where the partner may receive them

Import checks, in order, refusing with a clear message and importing nothing:
the package is addressed to us (age decrypts with our identity, the manifest
names our key); its signer is a registered partner and the signature holds;
the partner is approved and sends; the package was not seen before and is
newer than the last one from that partner; every file matches the manifest
and the counts match what was read.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from vigil.exchange import actions, keys, mapping, vics
from vigil.exchange.models import Level, PackageReceipt, Partner, Transfer
from vigil.victimid import storage, thumbs
from vigil.victimid.models import Media, Series

FORMAT = "vigil-package/1"
MEDIA_LIMIT = 200 * 1024 * 1024


class PackageError(ValidationError):
    """The package is refused; nothing was imported."""


def _sha256_file(zf: zipfile.ZipFile, name: str) -> str:
    h = hashlib.sha256()
    with zf.open(name) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- building


def build(partner: Partner, out: Path, *, actor, since=None) -> dict[str, Any]:
    """Write the package for `partner` to `out`; returns the manifest. Audited, disclosed."""
    actions.check_may_send(partner, actor)
    me = keys.identity()
    level = partner.may_receive
    with_series = level >= Level.SERIES
    package_id = str(uuid.uuid4())
    with transaction.atomic():
        sequence = actions.do_number_package(partner)
        transfer = actions.new_transfer(
            partner,
            actor=actor,
            direction="out",
            method=Transfer.Method.PACKAGE,
            filename=out.name[:255],
            version="2.0",
        )
        counts = {"records": 0, "series": 0, "thumbnails": 0, "media": 0}
        fd, plain = tempfile.mkstemp(prefix="vigil-pkg-", suffix=".zip")
        os.close(fd)
        try:
            with zipfile.ZipFile(plain, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                series_ids: set[int] = set()
                files: list[tuple[int, Media]] = []
                pending: list[int] = []
                runs = actions.IdRuns()
                qs = actions.exportable(partner, since)

                def records():
                    for pk, rec in actions.iter_canonical(qs, with_series=with_series):
                        pending.append(pk)
                        runs.add(pk)
                        counts["records"] += 1
                        if len(pending) >= actions.SEND_BATCH:
                            actions.audit_sent(
                                partner, transfer, pending, actor=actor, method="package"
                            )
                            pending.clear()
                        yield mapping.to_vics(rec, with_series=with_series)

                with zf.open("records.json", "w") as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8")
                    vics.write(text, records(), version="2.0")
                    text.flush()
                    text.detach()
                if pending:
                    actions.audit_sent(partner, transfer, pending, actor=actor, method="package")
                if with_series:
                    series_ids = set(
                        qs.exclude(series__isnull=True)
                        .values_list("series_id", flat=True)
                        .distinct()
                    )
                    entries = [
                        mapping.series_out(s) for s in Series.objects.filter(pk__in=series_ids)
                    ]
                    zf.writestr("series.json", json.dumps(entries, indent=1))
                    counts["series"] = len(entries)
                if level >= Level.THUMBNAILS:
                    files = [(m.pk, m) for m in qs.exclude(stored_path="").order_by("id")]
                    for _, media in files:
                        if not media.has_file:
                            continue
                        data = storage.read(media.stored_path, media.wrapped_key)
                        zf.writestr(
                            f"thumbs/{media.md5}.png",
                            thumbs.render(data, kind=media.kind, revealed=True),
                        )
                        counts["thumbnails"] += 1
                        if level >= Level.MEDIA:
                            zf.writestr(f"media/{media.md5}", data)
                            counts["media"] += 1
            with zipfile.ZipFile(plain) as zf:
                hashes = {name: _sha256_file(zf, name) for name in sorted(zf.namelist())}
            manifest = {
                "format": FORMAT,
                "package_id": package_id,
                "sender": {"name": me.name, "signing_key": me.signing_public},
                "recipient": {"name": partner.name, "age_recipient": partner.age_recipient},
                "sequence": sequence,
                "created_at": timezone.now().isoformat(),
                "since": since.isoformat() if since else None,
                "counts": counts,
                "files": hashes,
            }
            blob = json.dumps(manifest, indent=1, sort_keys=True).encode()
            with zipfile.ZipFile(plain, "a") as zf:
                zf.writestr("manifest.json", blob)
                zf.writestr("manifest.sig", base64.b64encode(keys.sign(blob)))
            tmp_out = out.with_name(out.name + ".part")
            keys_recipient = keys.parse_age_recipient(partner.age_recipient)
            import pyrage

            pyrage.encrypt_file(plain, str(tmp_out), [keys_recipient])
        finally:
            Path(plain).unlink(missing_ok=True)
        actions.do_finish_package_export(
            partner,
            transfer,
            actor=actor,
            counts=counts,
            package_id=package_id,
            sequence=sequence,
            sent=runs,
            series_ids=series_ids,
        )
    os.replace(tmp_out, out)
    return manifest


# --------------------------------------------------------------------------- importing


def _refuse(message: str) -> PackageError:
    return PackageError(f"{message} Nothing was imported.")


def open_package(path: Path) -> tuple[dict[str, Any], Partner, Path]:
    """Decrypt and check the envelope. Returns (manifest, signer, decrypted zip path)."""
    me = keys.identity()
    fd, plain = tempfile.mkstemp(prefix="vigil-pkg-in-", suffix=".zip")
    os.close(fd)
    try:
        try:
            data = Path(path).read_bytes()
            Path(plain).write_bytes(keys.decrypt(data))
        except keys.DecryptFailed as exc:
            if exc.wrong_recipient:
                raise _refuse(
                    "This package is not addressed to this instance (no key of ours opens it), "
                    "or its header was altered."
                ) from None
            raise _refuse(f"The package is damaged or was altered ({exc}).") from None
        try:
            zf = zipfile.ZipFile(plain)
        except zipfile.BadZipFile:
            raise _refuse("The package does not hold a Vigil package.") from None
        with zf:
            names = set(zf.namelist())
            if not {"manifest.json", "manifest.sig"} <= names:
                raise _refuse("The package has no signed manifest.")
            blob = zf.read("manifest.json")
            try:
                signature = base64.b64decode(zf.read("manifest.sig"), validate=True)
                manifest = json.loads(blob)
            except (ValueError, json.JSONDecodeError):
                raise _refuse("The package's manifest cannot be read.") from None
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise _refuse("The package is not in a format this Vigil reads.")
            recipient = (manifest.get("recipient") or {}).get("age_recipient")
            if recipient != me.age_recipient:
                raise _refuse("This package was made for another recipient.")
            signer_key = str((manifest.get("sender") or {}).get("signing_key") or "")
            signer = Partner.objects.filter(signing_key=signer_key).first() if signer_key else None
            if signer is None:
                raise _refuse(
                    "The package was signed by a key no registered partner holds (unknown signer)."
                )
            if not keys.verify(signer.signing_key, signature, blob):
                raise _refuse(
                    f"The signature does not match {signer.name}'s key: the manifest was altered."
                )
            files = manifest.get("files") or {}
            listed = set(files) | {"manifest.json", "manifest.sig"}
            if names != listed:
                extra = sorted(names - listed)[:5]
                missing = sorted(listed - names)[:5]
                raise _refuse(
                    f"The package does not match its manifest (unlisted: {extra}, missing: {missing})."
                )
            for name, expected in files.items():
                if _sha256_file(zf, name) != expected:
                    raise _refuse(f"{name} does not match the manifest's hash.")
        return manifest, signer, Path(plain)
    except Exception:
        Path(plain).unlink(missing_ok=True)
        raise


def do_import_package(path: Path, *, actor) -> dict[str, Any]:
    actions._require(actor, actions.rules.can_import)
    manifest, partner, plain = open_package(path)
    try:
        try:
            actions.require_receiving(partner)
        except ValidationError as exc:
            raise _refuse(" ".join(exc.messages)) from None
        package_id = str(manifest.get("package_id") or "")
        sequence = manifest.get("sequence")
        if not package_id or not isinstance(sequence, int):
            raise _refuse("The manifest has no package id or sequence number.")
        counts = actions.Counts()
        with transaction.atomic():
            if PackageReceipt.objects.filter(package_id=package_id).exists():
                raise _refuse(f"Package {package_id} was imported before (replayed).")
            last = PackageReceipt.objects.filter(partner=partner).aggregate(m=Max("sequence"))["m"]
            if last is not None and sequence <= last:
                raise _refuse(
                    f"This package (number {sequence}) is older than the last one taken from "
                    f"{partner.name} (number {last})."
                )
            transfer = actions.new_transfer(
                partner,
                actor=actor,
                direction="in",
                method=Transfer.Method.PACKAGE,
                filename=Path(path).name[:255],
                file_sha256=hashlib.sha256(Path(path).read_bytes()).hexdigest(),
                version="2.0",
            )
            expected = manifest.get("counts") or {}
            got = {"records": 0, "series": 0, "thumbnails": 0, "media": 0}
            with zipfile.ZipFile(plain) as zf:
                names = set(zf.namelist())
                if "series.json" in names:
                    entries = json.loads(zf.read("series.json"))
                    if not isinstance(entries, list):
                        raise _refuse("series.json is not a list.")
                    got["series"] = len(entries)
                    if partner.sends >= Level.SERIES:
                        actions.apply_series(
                            entries, partner=partner, transfer=transfer, actor=actor, counts=counts
                        )
                if "records.json" in names:
                    with zf.open("records.json") as fh:
                        actions.import_stream(
                            fh,
                            actor=actor,
                            partner=partner,
                            transfer=transfer,
                            counts=counts,
                            what=f"package {sequence}",
                        )
                got["records"] = counts.records_read
                got["thumbnails"] = sum(1 for n in names if n.startswith("thumbs/"))
                media_names = [n for n in names if n.startswith("media/")]
                got["media"] = len(media_names)
                if partner.sends >= Level.MEDIA:
                    for name in media_names:
                        _attach(zf, name, partner=partner, actor=actor)
            if any(int(expected.get(k, -1)) != v for k, v in got.items()):
                raise _refuse(
                    f"The counts do not match the manifest (manifest {expected}, package {got})."
                )
            actions.do_finish_package_import(
                partner,
                transfer,
                actor=actor,
                package_id=package_id,
                sequence=sequence,
                counts=counts,
                got=got,
            )
        return {
            **counts.summary(),
            "partner": partner.name,
            "package_id": package_id,
            "sequence": sequence,
        }
    finally:
        plain.unlink(missing_ok=True)


def _attach(zf: zipfile.ZipFile, name: str, *, partner: Partner, actor) -> None:
    """A full media file, checked against its name, for the hash-only record it belongs to."""
    md5 = name.split("/", 1)[1]
    info = zf.getinfo(name)
    if info.file_size > MEDIA_LIMIT:
        raise _refuse(f"{name} is larger than {MEDIA_LIMIT // (1024 * 1024)} MiB.")
    data = zf.read(name)
    if hashlib.md5(data).hexdigest() != md5:  # noqa: S324 - VICS identifies media by MD5
        raise _refuse(f"{name} does not have the MD5 its name says.")
    actions.do_attach_media_file(md5, data, partner=partner, actor=actor)
