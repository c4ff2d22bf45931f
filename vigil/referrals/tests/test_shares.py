"""Shares with outside agencies: encryption, the grant, tampering, expiry, the accounting."""

import datetime as dt
import io
import json
import struct
import zipfile

import pyrage
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from vigil.accounts.actions import do_grant_share
from vigil.audit.models import AuditEvent
from vigil.referrals import actions, packages
from vigil.referrals.models import Disclosure, SharePackage
from vigil.testing.roles import check_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    return pyrage.x25519.Identity.generate()


@pytest.fixture
def bka(directory, key):
    o = directory["bka"]
    o.age_recipient = str(key.to_public())
    o.save()
    return o


@pytest.fixture
def sharer(personas):
    do_grant_share(personas.investigator, actor=personas.manager, reason="BKA liaison")
    personas.investigator.refresh_from_db()
    return personas.investigator


def _share(sharer, bka, tip, **kw):
    args = {"kind": "ip_list", "method": "age", "purpose": "Their jurisdiction", **kw}
    return actions.do_create_share(actor=sharer, office=bka, tip=tip, **args)


def _read(package, settings):
    return (settings.SHARE_DIR / package.path).read_bytes()


def test_it_encrypts_an_ip_list_to_the_agencys_age_key(sharer, bka, tip, key, settings):
    package, password = _share(sharer, bka, tip)
    assert password is None and package.file_name.endswith(".zip.age")
    data = _read(package, settings)
    files = packages.open_age(data, str(key))
    (name,) = files
    assert name.endswith(".csv") and b"203.0.113.7" in files[name]
    with pytest.raises(pyrage.DecryptError):
        packages.open_age(data, str(pyrage.x25519.Identity.generate()))
    tampered = bytearray(data)
    tampered[-20] ^= 0x01
    with pytest.raises(pyrage.DecryptError):
        packages.open_age(bytes(tampered), str(key))


def test_it_makes_an_aes_zip_opened_only_by_its_password(sharer, bka, tip, settings):
    package, password = _share(sharer, bka, tip, method="zip", kind="tip")
    assert password and package.file_name.endswith(".zip")
    data = _read(package, settings)
    files = packages.open_zip(data, password)
    assert b"T-1" in files[f"tip-{tip.pk}.json"]
    with pytest.raises(RuntimeError):
        packages.open_zip(data, "wrong password")
    import pyzipper

    with pyzipper.AESZipFile(io.BytesIO(data)) as zf:
        assert zf.infolist()[0].flag_bits & 0x1  # encrypted
    assert password not in str(list(AuditEvent.objects.values_list("changes", "summary")))
    # One bit changed in the encrypted member: its HMAC (WinZip AE-2) no longer matches.
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len + 16 + 2  # after salt and verifier
    tampered = bytearray(data)
    tampered[start + info.compress_size // 2] ^= 0x01
    with pytest.raises(pyzipper.BadZipFile, match="HMAC"):
        packages.open_zip(bytes(tampered), password)


def test_it_rejects_a_tampered_package_at_download(client, sharer, bka, tip, settings):
    package, _ = _share(sharer, bka, tip)
    client.force_login(sharer)
    url = reverse("referrals-share-download", args=[package.pk])
    assert client.get(url).status_code == 200
    path = settings.SHARE_DIR / package.path
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    response = client.get(url)
    assert response.status_code == 409 and b"altered" in response.content
    assert AuditEvent.objects.filter(action="share.download", outcome="failed").exists()


def test_it_shares_a_whole_cluster(sharer, bka, tip, key, settings):
    from vigil.deconfliction.tests import factories as f
    from vigil.referrals.tests.conftest import link

    other = f.tip("B-7")
    f.selector(other, "ip", "198.51.100.9")
    link(tip, other)
    package, _ = _share(sharer, bka, tip, kind="cluster")
    files = packages.open_age(_read(package, settings), str(key))
    data = json.loads(files[f"cluster-of-tip-{tip.pk}.json"])
    tips = {
        t["source_reference"] for s in data["sections"] if s["key"] == "tips" for t in s["items"]
    }
    assert tips == {"T-1", "B-7"}
    d = Disclosure.objects.get()
    assert ["tip", tip.pk] in d.records and ["tip", other.pk] in d.records


def test_it_writes_one_disclosure_per_share(sharer, bka, tip):
    package, _ = _share(sharer, bka, tip)
    d = Disclosure.objects.get()
    assert d.office == bka and d.source_type == "referrals.sharepackage"
    assert d.source_id == str(package.pk) and ["tip", tip.pk] in d.records
    assert any(k == "selector" for k, _ in d.records)
    assert "age" in d.method


def test_it_requires_the_share_grant(personas, bka, tip):
    with pytest.raises(PermissionDenied):
        _share(personas.investigator, bka, tip)
    with pytest.raises(PermissionDenied):
        _share(personas.manager, bka, tip)  # Managers too need the grant
    assert not SharePackage.objects.exists() and not Disclosure.objects.exists()


def test_it_refuses_bad_shares_and_leaves_nothing(sharer, bka, directory, tip, settings):
    with pytest.raises(ValidationError):
        _share(sharer, directory["interpol"], tip)  # no age key on file
    with pytest.raises(ValidationError):
        _share(sharer, directory["newark"], tip)  # our own office: refer instead
    with pytest.raises(ValidationError):
        _share(sharer, bka, tip, purpose="")
    assert not SharePackage.objects.exists() and not Disclosure.objects.exists()
    assert not any(settings.SHARE_DIR.glob("*")) if settings.SHARE_DIR.exists() else True


def test_it_removes_expired_packages(sharer, bka, tip, settings, client):
    package, _ = _share(sharer, bka, tip)
    SharePackage.objects.filter(pk=package.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    out = io.StringIO()
    call_command("remove_expired_shares", stdout=out)
    assert "1 expired" in out.getvalue()
    package.refresh_from_db()
    assert package.removed_at and not (settings.SHARE_DIR / package.path).exists()
    assert Disclosure.objects.count() == 1  # the accounting stays
    client.force_login(sharer)
    assert client.get(reverse("referrals-share-download", args=[package.pk])).status_code == 410


def test_it_sets_the_expiry_from_the_setting(sharer, bka, tip, settings):
    settings.SHARE_PACKAGE_HOURS = 5
    package, _ = _share(sharer, bka, tip)
    hours = (package.expires_at - package.created_at).total_seconds() / 3600
    assert 4.9 < hours < 5.1


def test_it_shares_a_referral_packet(sharer, bka, tip, directory, key, settings):
    r = actions.do_create_referral(tip, actor=sharer, office=directory["newark"])
    package, _ = actions.do_create_share(
        actor=sharer, office=bka, kind="packet", method="age", purpose="p", referral=r
    )
    files = packages.open_age(_read(package, settings), str(key))
    assert set(files) == {f"referral-{r.pk}.pdf", f"referral-{r.pk}.json"}
    assert files[f"referral-{r.pk}.pdf"].startswith(b"%PDF")


def test_it_guards_the_share_pages(client, personas, bka, tip):
    do_grant_share(personas.other_investigator, actor=personas.manager, reason="x")
    do_grant_share(personas.investigator, actor=personas.manager, reason="x")
    url = reverse("referrals-share-create") + f"?tip={tip.pk}"
    check_roles(client, personas, "get", url)
    check_roles(
        client,
        personas,
        "post",
        reverse("referrals-share-create"),
        data={
            "tip": tip.pk,
            "office": bka.pk,
            "kind": "ip_list",
            "method": "zip",
            "purpose": "their case",
        },
        audit_action="share.create",
    )
    package = SharePackage.objects.get()
    check_roles(
        client,
        personas,
        "get",
        reverse("referrals-share-download", args=[package.pk]),
        audit_action="share.download",
    )
    check_roles(client, personas, "get", reverse("referrals-shares"), audit_action="share.list")


def test_it_shows_the_password_once(client, sharer, bka, tip):
    client.force_login(sharer)
    response = client.post(
        reverse("referrals-share-create"),
        {"tip": tip.pk, "office": bka.pk, "kind": "ip_list", "method": "zip", "purpose": "p"},
    )
    assert b'data-testid="share-password"' in response.content
    assert response["Cache-Control"] == "no-store"
    listing = client.get(reverse("referrals-shares")).content.decode()
    assert 'data-testid="share-password"' not in listing


def test_it_removes_expired_packages_in_every_worker(sharer, bka, tip):
    from vigil.core import workers

    assert any(p.name == "referrals.remove_expired_shares" for p in workers._periodic)
    package, _ = _share(sharer, bka, tip)
    SharePackage.objects.filter(pk=package.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    workers.run_periodic(force=True)
    package.refresh_from_db()
    assert package.removed_at is not None


def test_it_stops_sharing_when_the_grant_is_revoked(client, personas, sharer, bka, tip):
    from vigil.accounts.actions import do_revoke_share

    package, _ = _share(sharer, bka, tip)
    do_revoke_share(sharer, actor=personas.manager, reason="left the liaison post")
    sharer.refresh_from_db()
    with pytest.raises(PermissionDenied):
        _share(sharer, bka, tip)
    client.force_login(sharer)
    url = reverse("referrals-share-download", args=[package.pk])
    assert client.get(url).status_code == 403  # nor fetch what they made before
    assert client.get(reverse("referrals-share-create") + f"?tip={tip.pk}").status_code == 403
    assert AuditEvent.objects.filter(action="account.share_revoke").count() == 1
    assert AuditEvent.objects.filter(actor=sharer, outcome="denied").count() == 2
    assert SharePackage.objects.count() == Disclosure.objects.count() == 1
