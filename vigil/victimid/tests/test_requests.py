from __future__ import annotations

import io
import json
import zipfile
from unittest import mock

import pyzipper
from django.db import connection
from django.urls import reverse
from PIL import Image

from vigil.audit.models import AuditEvent
from vigil.victimid import report
from vigil.victimid.models import MatchRequest, Media

from .conftest import BRIDGE, jpeg


def _altered_zip(conformance) -> bytes:
    img = Image.open(BRIDGE)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("copies/resized.jpg", jpeg(img.resize((400, 251)), 70))
        zf.writestr("copies/cropped.jpg", jpeg(img.crop((10, 8, img.width - 10, img.height - 8))))
        zf.writestr(
            "unrelated.png", (conformance / "reg-test-input/pen-and-coaster.png").read_bytes()
        )
        zf.writestr("broken.jpg", BRIDGE.read_bytes()[:5000])
    return buf.getvalue()


def _submit(client, user, **files):
    client.force_login(user)
    data = {"requesting_agency": "County Sheriff (demo)", "case_number": "CASE-1", **files}
    return client.post(reverse("victimid-request-create"), data)


def test_it_processes_a_zip_and_reports_matches(client, personas, series_factory, conformance):
    series, media = series_factory("Bridge", files=[BRIDGE])
    upload = io.BytesIO(_altered_zip(conformance))
    upload.name = "seized.zip"
    response = _submit(client, personas.investigator, archive=upload)
    mr = MatchRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("victimid-request-detail", args=[mr.pk])
    assert mr.status == "done" and mr.done == mr.total == 4
    assert AuditEvent.objects.filter(
        action="matchrequest.create", actor=personas.investigator
    ).exists()

    data = report.build(mr)
    by_name = {it["name"]: it for it in data["items"]}
    for name in ("copies/resized.jpg", "copies/cropped.jpg"):
        item = by_name[name]
        assert item["outcome"] == "identified", (item, data)
        (m,) = item["matches"]
        assert m["method"] == "pdq" and 0 < m["distance"] <= 31
        assert m["series"]["name"] == "Bridge"
        assert m["series"]["contact"]["investigator"] == "Det. Sample"
        assert m["series"]["victim_age_range"] == "9-12"
        assert m["series"]["relationship_to_offender"] == "relative"
        assert m["series"]["year_of_production"] == 2019
    assert by_name["unrelated.png"]["outcome"] == "no_match"
    # A corrupt file is one error; the batch went on.
    assert by_name["broken.jpg"]["outcome"] == "error"
    assert "truncated" in by_name["broken.jpg"]["error"]
    assert mr.summary["matched_identified"] == 2
    assert mr.summary["no_match"] == 1 and mr.summary["errors"] == 1
    # The other media of the matched series are listed.
    assert [m["reference"] for m in data["series"][0]["media"]] == [media[0].reference]
    # Submitted files are kept encrypted as unconfirmed media.
    unconfirmed = Media.objects.filter(series=None)
    assert unconfirmed.count() == 3
    for m in unconfirmed:
        raw = (client_settings_store() / m.stored_path).read_bytes()
        assert raw.startswith(b"VGL1") and b"JFIF" not in raw[:200]

    page = client.get(reverse("victimid-request-detail", args=[mr.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Det. Sample" in html and "copies/resized.jpg" in html
    assert AuditEvent.objects.filter(
        action="matchrequest.view", actor=personas.investigator
    ).exists()

    js = client.get(reverse("victimid-request-report-json", args=[mr.pk]))
    assert js.status_code == 200 and js["Cache-Control"].startswith("no-store")
    assert js.json()["summary"]["matched_identified"] == 2

    pdf = client.get(reverse("victimid-request-report-pdf", args=[mr.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def client_settings_store():
    from pathlib import Path

    from django.conf import settings

    return Path(settings.MEDIA_STORE_DIR)


def test_it_matches_uploaded_files_by_exact_hash(client, personas, series_factory, conformance):
    series_factory("Bridge", files=[BRIDGE], identified=False)
    f = io.BytesIO(BRIDGE.read_bytes())
    f.name = "copy.jpg"
    _submit(client, personas.manager, files=[f])
    mr = MatchRequest.objects.get()
    (item,) = report.build(mr)["items"]
    assert item["outcome"] == "unidentified"
    assert item["matches"][0]["method"] == "sha256"
    assert "victim_age_range" not in item["matches"][0]["series"]
    assert mr.summary["matched_unidentified_only"] == 1


def test_it_audits_each_submitted_file_it_stores_as_unconfirmed_media(
    client, personas, series_factory
):
    """process_item stores a submitted file through do_add_media's path: one media.add row."""
    series_factory("Bridge", files=[BRIDGE], identified=False)
    before = set(AuditEvent.objects.filter(action="media.add").values_list("pk", flat=True))
    f = io.BytesIO(BRIDGE.read_bytes())
    f.name = "copy.jpg"
    _submit(client, personas.manager, files=[f])
    mr = MatchRequest.objects.get()
    (item,) = mr.items.all()
    (event,) = AuditEvent.objects.filter(action="media.add").exclude(pk__in=before)
    assert event.object_id == str(item.media_id)
    assert event.actor == personas.manager and event.via == "task"
    assert event.changes["match_request"] == mr.pk
    assert event.changes["series"] == {"before": None, "after": None}
    assert Media.objects.get(pk=item.media_id).series_id is None


def test_it_takes_a_csv_hash_list(client, personas, series_factory):
    _, (m,) = series_factory("Bridge", files=[BRIDGE])
    csv_text = (
        "name,md5,sha1,pdq\n"
        f"a,{m.md5},,\n"
        f"b,,{m.sha1},\n"
        f"c,,,{m.pdq[:-1]}{'0' if m.pdq[-1] != '0' else '1'}\n"
        f"d,{'0' * 32},,\n"
    )
    upload = io.BytesIO(csv_text.encode())
    upload.name = "hashes.csv"
    _submit(client, personas.investigator, hash_list=upload)
    mr = MatchRequest.objects.get()
    methods = [[x["method"] for x in it["matches"]] for it in report.build(mr)["items"]]
    assert methods == [["md5"], ["sha1"], ["pdq"], []]


def test_it_takes_a_vics_json_list(client, personas, series_factory):
    _, (m,) = series_factory("Bridge", files=[BRIDGE])
    doc = {
        "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/CEModel/$metadata#Cases",
        "value": [
            {
                "CaseNumber": "X",
                "Media": [
                    {
                        "MediaID": 0,
                        "MD5": m.md5.upper(),
                        "Category": 0,
                        "IsPrecategorized": "false",
                    },
                    {
                        "MediaID": 0,
                        "MD5": "1" * 32,
                        "AlternativeHashes": [{"HashName": "PDQ", "HashValue": m.pdq}],
                    },
                ],
            }
        ],
    }
    upload = io.BytesIO(b"\xef\xbb\xbf" + json.dumps(doc).encode())
    upload.name = "vics.json"
    _submit(client, personas.investigator, hash_list=upload)
    mr = MatchRequest.objects.get()
    methods = [[x["method"] for x in it["matches"]] for it in report.build(mr)["items"]]
    assert methods == [["md5"], ["pdq"]]


def test_it_refuses_bad_inputs_with_a_clear_error(client, personas):
    cases = [
        ("hash_list", "h.csv", b"md5\nnot-a-hash\n", "Line 2: MD5"),
        ("hash_list", "h.csv", b"colour\nred\n", "no md5, sha1, sha256 or pdq column"),
        (
            "hash_list",
            "v.json",
            json.dumps({"value": [{"MD5": "a" * 32, "VictimName": "x"}]}).encode(),
            "victim-name field",
        ),
        ("archive", "a.zip", b"not a zip", "not a readable ZIP"),
    ]
    for field, name, content, message in cases:
        f = io.BytesIO(content)
        f.name = name
        response = _submit(client, personas.investigator, **{field: f})
        assert response.status_code == 400
        assert message in response.content.decode(), message
    assert MatchRequest.objects.count() == 0
    assert Media.objects.count() == 0


def test_it_refuses_a_zip_with_path_traversal(client, personas):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.jpg", BRIDGE.read_bytes())
        zf.writestr("../../evil.jpg", BRIDGE.read_bytes())
    buf.seek(0)
    buf.name = "x.zip"
    response = _submit(client, personas.investigator, archive=buf)
    assert "path traversal" in response.content.decode()
    assert MatchRequest.objects.count() == 0


def test_it_exports_an_encrypted_package_once(client, personas, series_factory):
    series_factory("Bridge", files=[BRIDGE])
    f = io.BytesIO(BRIDGE.read_bytes())
    f.name = "copy.jpg"
    _submit(client, personas.investigator, files=[f])
    mr = MatchRequest.objects.get()
    page = client.post(reverse("victimid-request-export", args=[mr.pk]))
    assert page.status_code == 200
    password = page.context["password"]
    token = page.context["token"]
    assert AuditEvent.objects.filter(
        action="matchrequest.export", actor=personas.investigator
    ).exists()
    url = reverse("victimid-request-export-download", args=[mr.pk, token])
    dl = client.get(url)
    assert dl.status_code == 200
    with pyzipper.AESZipFile(io.BytesIO(b"".join(dl.streaming_content))) as zf:
        assert sorted(zf.namelist()) == ["report.json", "report.pdf"]
        assert zf.getinfo("report.pdf").flag_bits & 0x1  # encrypted
        zf.setpassword(password.encode())
        data = json.loads(zf.read("report.json"))
        assert data["items"][0]["matches"][0]["series"]["name"] == "Bridge"
        assert zf.read("report.pdf").startswith(b"%PDF-")
    assert client.get(url).status_code == 404  # one download


def test_it_shows_live_progress_while_running(client, personas):
    mr = MatchRequest.objects.create(
        requesting_agency="A", case_number="1", total=4, done=1, submitted_by=personas.manager
    )
    client.force_login(personas.reader)
    frag = client.get(
        reverse("victimid-request-progress", args=[mr.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_X_VIGIL_POLL="1",
    )
    html = frag.content.decode()
    assert 'hx-trigger="every 1s"' in html and "X-Vigil-Poll" in html and "1 of 4" in html
    assert "HX-Refresh" not in frag
    MatchRequest.objects.filter(pk=mr.pk).update(status="done", done=4)
    frag = client.get(reverse("victimid-request-progress", args=[mr.pk]), HTTP_HX_REQUEST="true")
    assert frag["HX-Refresh"] == "true"
    assert "every 1s" not in frag.content.decode()


def test_it_takes_a_folder_upload(client, personas, series_factory, conformance):
    series_factory("Bridge", files=[BRIDGE])
    a = io.BytesIO((conformance / "bridge-mods/blur-a-lot.jpg").read_bytes())
    a.name = "blur.jpg"
    b = io.BytesIO((conformance / "misc-images/small.jpg").read_bytes())
    b.name = "small.jpg"
    _submit(client, personas.investigator, folder=[a, b])
    mr = MatchRequest.objects.get()
    items = report.build(mr)["items"]
    assert [it["outcome"] for it in items] == ["identified", "no_match"]
    assert items[1]["low_quality"] and mr.summary["low_quality"] == 1
    assert items[0]["outcome_label"] == "Matches an identified-victim series"


def test_it_leaves_nothing_behind_when_a_zip_is_refused_half_way(client, personas):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.jpg", b"x")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.jpg", BRIDGE.read_bytes())
        zf.writestr("b.jpg", inner.getvalue())  # an archive in disguise, found while reading
    buf.seek(0)
    buf.name = "x.zip"
    response = _submit(client, personas.investigator, archive=buf)
    assert "nested archives" in response.content.decode()
    assert MatchRequest.objects.count() == 0
    store = client_settings_store()
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_it_matches_submitted_videos(client, personas, series_factory, conformance):
    video = conformance / "vpdq/test-padded-dimensions.mp4"
    _, (m,) = series_factory("Video series", files=[video])
    same = io.BytesIO(video.read_bytes())
    same.name = "clip.mp4"
    other = io.BytesIO((conformance / "vpdq/doorknob-hd-no-bar.mp4").read_bytes())
    other.name = "other.mp4"
    _submit(client, personas.investigator, files=[same, other])
    mr = MatchRequest.objects.get()
    clip, doorknob = report.build(mr)["items"]
    assert clip["kind"] == "video" and clip["video_frames"] > 1
    assert [(x["method"], x["media"]) for x in clip["matches"]] == [("sha256", m.pk)]
    assert doorknob["kind"] == "video" and doorknob["matches"] == []
    stored = Media.objects.get(series=None, sha256=clip["sha256"])
    assert stored.frames.count() == clip["video_frames"]


def _small_zeros_bomb() -> io.BytesIO:
    # 60 members of ~1 MB of zeros: each under the per-member ratio check's floor.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(60):
            zf.writestr(f"zeros{i:02}.jpg", b"\0" * 1_000_000)
    buf.seek(0)
    buf.name = "many.zip"
    return buf


def test_it_refuses_a_zip_bomb_of_many_small_members_before_sealing_any(client, personas):
    bomb = _small_zeros_bomb()
    assert len(bomb.getvalue()) < 100_000
    response = _submit(client, personas.investigator, archive=bomb)
    assert response.status_code == 400
    assert "looks like a ZIP bomb" in response.content.decode()
    assert MatchRequest.objects.count() == 0
    store = client_settings_store()
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_it_answers_400_to_a_zip_whose_directory_lies_about_a_member(client, personas):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.jpg", BRIDGE.read_bytes())
        zf.writestr("b.jpg", b"x" * 5000)
    raw = bytearray(buf.getvalue())
    cd = raw.rfind(b"PK\x01\x02")  # b.jpg's central-directory entry
    raw[cd + 24 : cd + 28] = (100).to_bytes(4, "little")  # "100 bytes uncompressed"
    raw[cd + 16 : cd + 20] = (0).to_bytes(4, "little")  # and a CRC that is not its data's
    upload = io.BytesIO(bytes(raw))
    upload.name = "lying.zip"
    response = _submit(client, personas.investigator, archive=upload)
    assert response.status_code == 400
    assert "b.jpg" in response.content.decode()
    assert MatchRequest.objects.count() == 0
    store = client_settings_store()
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_it_keeps_a_one_time_package_until_a_download_with_a_crlf_case_number_succeeds(
    client, personas, series_factory
):
    series_factory("Bridge", files=[BRIDGE])
    f = io.BytesIO(BRIDGE.read_bytes())
    f.name = "copy.jpg"
    client.force_login(personas.investigator)
    data = {"requesting_agency": "County Sheriff (demo)", "case_number": "CASE-1", "files": [f]}
    client.post(reverse("victimid-request-create"), data)
    mr = MatchRequest.objects.get()
    MatchRequest.objects.filter(pk=mr.pk).update(case_number='C-9\r\nSet-Cookie: x=1"/..')
    token = client.post(reverse("victimid-request-export", args=[mr.pk])).context["token"]
    url = reverse("victimid-request-export-download", args=[mr.pk, token])
    from django.conf import settings

    stored = settings.UPLOAD_DIR / "exports" / f"{token}.zip"
    # A transfer that never completes (the body is not read to its end) deletes nothing.
    first = client.get(url)
    assert first.status_code == 200
    disposition = first["Content-Disposition"]
    assert (
        "\r" not in disposition
        and "\n" not in disposition
        and "Set-Cookie" not in disposition.split(";")[0]
    )
    assert (
        disposition
        == f'attachment; filename="vigil-match-request-{mr.pk}-C-9_Set-Cookie_x_1_...zip"'
    )
    next(iter(first.streaming_content))
    # Closed as a WSGI server closes it, but (as Django's test client does for a body read to
    # its end) request_finished must not close the test's database connection: with the
    # file-based SQLite test database that close is real and the next request would fail.
    with mock.patch.object(connection, "close_if_unusable_or_obsolete"):
        first.close()
    assert stored.exists()
    second = client.get(url)
    assert second.status_code == 200
    body = b"".join(second.streaming_content)
    assert body.startswith(b"PK") and not stored.exists()
    assert client.get(url).status_code == 404  # used


def test_it_removes_export_packages_nobody_downloaded_within_seven_days(settings, db):
    import os
    import time

    from django.core.management import call_command

    from vigil.core import workers

    folder = settings.UPLOAD_DIR / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh = folder / "old.zip", folder / "fresh.zip"
    old.write_bytes(b"PK")
    fresh.write_bytes(b"PK")
    eight_days = time.time() - 8 * 86400
    os.utime(old, (eight_days, eight_days))
    out = io.StringIO()
    call_command("expire_exports", stdout=out)
    assert "1 export package(s) older than 7 day(s) removed" in out.getvalue()
    assert not old.exists() and fresh.exists()
    assert AuditEvent.objects.filter(action="matchrequest.export_purge").count() == 1
    # Every worker runs it periodically.
    assert any(p.name == "victimid.purge_exports" for p in workers._periodic)
    settings.EXPORT_PACKAGE_DAYS = 0
    workers.run_periodic(force=True)
    assert not fresh.exists()


def test_it_hashes_a_large_request_on_several_processes_with_the_same_report(
    client, personas, series_factory, conformance, settings, monkeypatch
):
    # 8 files on 2 spawned processes (4 files each): the report is the one a single
    # process gives, item for item; a broken file is still one error in its place.
    from vigil.victimid import tasks

    series_factory("Bridge", files=[BRIDGE])
    img = Image.open(BRIDGE)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, width in enumerate((400, 360, 320, 280, 240)):
            zf.writestr(f"copies/{n}.jpg", jpeg(img.resize((width, width * 251 // 400)), 70))
        zf.writestr("broken.jpg", BRIDGE.read_bytes()[:5000])
        zf.writestr(
            "unrelated.png", (conformance / "reg-test-input/pen-and-coaster.png").read_bytes()
        )
        zf.writestr("mirrored.jpg", jpeg(img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    pools = []

    class Spy(tasks.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tasks, "ProcessPoolExecutor", Spy)

    def run(jobs: int) -> list:
        settings.MATCH_JOBS = jobs
        upload = io.BytesIO(buf.getvalue())
        upload.name = "seized.zip"
        assert _submit(client, personas.investigator, archive=upload).status_code == 302
        mr = MatchRequest.objects.latest("pk")
        assert mr.status == "done" and mr.done == mr.total == 8
        return [
            (
                it["name"],
                it["outcome"],
                it.get("md5"),
                it.get("pdq"),
                [(m["method"], m["distance"], m["series"]["name"]) for m in it["matches"]],
            )
            for it in report.build(mr)["items"]
        ]

    alone = run(1)
    assert pools == []
    pooled = run(2)
    assert pools == [2]
    assert pooled == alone
    outcomes = {name: outcome for name, outcome, *_ in pooled}
    assert outcomes["broken.jpg"] == "error" and outcomes["copies/0.jpg"] == "identified"
