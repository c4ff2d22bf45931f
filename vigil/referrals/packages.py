"""Encrypted packages for outside agencies: AES-256 ZIP (password) or age (agency's key).

The package files live under SHARE_DIR until they expire (SHARE_PACKAGE_HOURS) and
are removed by `vigil remove_expired_shares` (or its task). The SHA-256 taken when a
package is made is checked at every download: a file altered on disk is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import zipfile
import zlib

from vigil.lib.csvsafe import safe_row


def new_password() -> str:
    """~144 bits, in groups a person can read out over the phone."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(4))


def seal_zip(files: dict[str, bytes], password: str) -> bytes:
    import pyzipper

    buf = io.BytesIO()
    with pyzipper.AESZipFile(
        buf, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as zf:
        zf.setpassword(password.encode())
        zf.setencryption(pyzipper.WZ_AES, nbits=256)
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def open_zip(data: bytes, password: str) -> dict[str, bytes]:
    """Decrypt and verify (AES-256 with HMAC per member): raises on a wrong password or tampering."""
    import pyzipper

    with pyzipper.AESZipFile(io.BytesIO(data)) as zf:
        zf.setpassword(password.encode())
        files = {}
        for name in zf.namelist():
            try:
                files[name] = zf.read(name)
            except zlib.error as exc:
                # A changed byte can break the deflate stream before the member's HMAC
                # (checked at its end) is reached: the same refusal, whichever comes first.
                raise pyzipper.BadZipFile(
                    f"{name}: damaged or tampered with (it does not decompress, so its HMAC "
                    "cannot match)"
                ) from exc
        return files


def _plain_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def seal_age(files: dict[str, bytes], recipient: str) -> bytes:
    """A ZIP of the files, encrypted to the agency's age X25519 public key."""
    import pyrage

    return pyrage.encrypt(_plain_zip(files), [pyrage.x25519.Recipient.from_str(recipient)])


def open_age(data: bytes, identity: str) -> dict[str, bytes]:
    """Decrypt with the agency's secret key (authenticated: tampering raises)."""
    import pyrage

    plain = pyrage.decrypt(data, [pyrage.x25519.Identity.from_str(identity)])
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ip_list_csv(selectors) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["ip", "port", "observed_at_utc", "tip_id", "source", "source_reference"])
    for s in selectors:
        w.writerow(
            safe_row(
                [
                    s.value,
                    s.port or "",
                    s.observed_at.isoformat() if s.observed_at else "",
                    s.tip_id,
                    s.tip.source.name,
                    s.tip.source_reference,
                ]
            )
        )
    return out.getvalue().encode()


def as_json(data: dict) -> bytes:
    return json.dumps(data, indent=2, default=str, ensure_ascii=False).encode()
