from __future__ import annotations

import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vigil.audit.models import AuditEvent
from vigil.victimid.models import Media, Series

from .conftest import BRIDGE


def _run(capsys, *args):
    try:
        call_command(*args)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_it_prints_hashes_as_json(capsys, conformance, tmp_path, db):
    folder = tmp_path / "files"
    folder.mkdir()
    shutil.copy(BRIDGE, folder / "a.jpg")
    (folder / "bad.jpg").write_bytes(BRIDGE.read_bytes()[:3000])
    code, out, err = _run(capsys, "hash", str(folder), str(tmp_path / "missing.jpg"), "--json")
    rows = json.loads(out)
    assert code == 1
    assert [list(r) for r in rows] == [["path", "md5", "sha1", "sha256", "pdq", "pdq_quality"]]
    assert rows[0]["md5"] == "d35c785545392755e7e4164457657269"
    assert rows[0]["pdq"] == "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    assert rows[0]["pdq_quality"] == 100
    assert "bad.jpg" in err and "truncated" in err
    assert "missing.jpg: No such file or directory" in err


def test_it_imports_series_and_adds_only_what_is_new(capsys, conformance, tmp_path, db):
    root = tmp_path / "import"
    one = root / "bridge"
    one.mkdir(parents=True)
    shutil.copy(BRIDGE, one / "orig.jpg")
    shutil.copy(conformance / "bridge-mods/blur-a-lot.jpg", one / "blur.jpg")
    (one / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)
    (one / "notes.txt").write_text("hello")
    (one / "series.json").write_text(
        json.dumps(
            {
                "name": "Bridge series",
                "victim_identified": True,
                "victim_age_range": "6-8",
                "relationship_to_offender": "stranger",
                "year_of_production": 2018,
                "contact": {
                    "agency": "Demo PD",
                    "investigator": "Det. Demo",
                    "email": "d@example.invalid",
                    "phone": "555",
                },
            }
        )
    )
    two = root / "second"
    two.mkdir()
    shutil.copy(conformance / "reg-test-input/pen-and-coaster.png", two / "pen.png")

    code, out, _ = _run(capsys, "import_series", str(root), "--json")
    summary = json.loads(out)
    assert code == 1  # two files could not be imported
    by_name = {s["name"]: s for s in summary["series"]}
    assert by_name["Bridge series"]["added"] == 2
    assert {e["file"] for e in by_name["Bridge series"]["errors"]} == {"corrupt.jpg", "notes.txt"}
    assert by_name["second"]["added"] == 1
    series = Series.objects.get(name="Bridge series")
    assert series.victim_identified and series.contact_investigator == "Det. Demo"
    assert series.year_of_production == 2018
    assert Media.objects.count() == 3
    assert AuditEvent.objects.filter(action="series.import").exists()
    assert AuditEvent.objects.filter(action="media.add").count() == 3

    shutil.copy(conformance / "bridge-mods/sharpen-a-lot.jpg", one / "sharp.jpg")
    (one / "corrupt.jpg").unlink()
    (one / "notes.txt").unlink()
    code, out, _ = _run(capsys, "import_series", str(root), "--json")
    summary = json.loads(out)
    assert code == 0
    assert summary["totals"] == {
        "series_created": 0,
        "series_rejected": 0,
        "media_added": 1,
        "media_skipped": 3,
        "file_errors": 0,
    }
    assert Media.objects.count() == 4


def test_it_rejects_a_series_json_with_bad_values(capsys, tmp_path, db):
    folder = tmp_path / "in" / "s"
    folder.mkdir(parents=True)
    (folder / "series.json").write_text(json.dumps({"year_of_production": 1800}))
    code, out, err = _run(capsys, "import_series", str(tmp_path / "in"))
    assert code == 1
    assert "year_of_production" in err and "between 1950" in err
    assert Series.objects.count() == 0


def test_it_prints_matches_as_json(capsys, conformance, series_factory):
    series, (m,) = series_factory("Bridge", files=[BRIDGE])
    code, out, _ = _run(
        capsys,
        "match",
        str(conformance / "bridge-mods/blur-a-lot.jpg"),
        str(BRIDGE),
        str(conformance / "misc-images/small.jpg"),
        "--json",
    )
    assert code == 0
    items = json.loads(out)["items"]
    assert [list(i) for i in items] == [["path", "md5", "pdq", "pdq_quality", "matches"]] * 3
    blur, orig, small = items
    assert blur["matches"] == [
        {
            "series": "Bridge",
            "media": m.pk,
            "method": "pdq",
            "distance": blur["matches"][0]["distance"],
        }
    ]
    assert 0 < blur["matches"][0]["distance"] <= 31
    assert orig["matches"] == [
        {"series": "Bridge", "media": m.pk, "method": "sha256", "distance": 0}
    ]
    assert small["matches"] == [] and small["pdq_quality"] < 50
    code, out, _ = _run(
        capsys,
        "match",
        str(conformance / "bridge-mods/blur-a-lot.jpg"),
        "--threshold",
        "0",
        "--json",
    )
    assert json.loads(out)["items"][0]["matches"] == []


@pytest.mark.parametrize("value", ["-1", "500"])
def test_it_refuses_a_bad_threshold(capsys, value, db):
    code, _, err = _run(capsys, "match", str(BRIDGE), "--threshold", value)
    assert code == 1


def test_it_hashes_on_several_processes_with_the_same_answers(capsys, conformance, tmp_path, db):
    folder = tmp_path / "files"
    folder.mkdir()
    for i, name in enumerate(["aaa-orig.jpg", "blur-a-lot.jpg", "shrink-a-lot.jpg"]):
        shutil.copy(conformance / "bridge-mods" / name, folder / f"{i}.jpg")
    (folder / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 50)
    one = _run(capsys, "hash", str(folder), "--json", "--jobs", "1")
    two = _run(capsys, "hash", str(folder), "--json", "--jobs", "2")
    assert one[0] == two[0] == 1
    assert json.loads(one[1]) == json.loads(two[1])
    assert [r["path"].rsplit("/", 1)[1] for r in json.loads(two[1])] == ["0.jpg", "1.jpg", "2.jpg"]
    assert "bad.jpg" in two[2]
    for command in ("hash", "match"):
        with pytest.raises(CommandError, match="--jobs must be 1 or more"):
            call_command(command, str(BRIDGE), "--jobs", "0")


def test_the_console_script_hashes_without_loading_the_apps(capsys, conformance, tmp_path, db):
    # `vigil hash` skips django.setup() (vigil.cli.WITHOUT_APPS): the same answers.
    import subprocess
    import sys

    code = (
        "import sys; from vigil import cli; cli.main(sys.argv[1:]); "
        "from django.apps import apps; print('apps ready:', apps.ready, file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "vigil", "hash", str(BRIDGE), "--json", "--jobs", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "apps ready: False" in proc.stderr
    assert json.loads(proc.stdout) == json.loads(_run(capsys, "hash", str(BRIDGE), "--json")[1])


def test_it_matches_a_zip_from_the_command_line(capsys, conformance, series_factory, tmp_path):
    import zipfile

    series_factory("Bridge", files=[BRIDGE])
    archive = tmp_path / "seized.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(conformance / "bridge-mods" / "blur-a-lot.jpg", "copies/blur.jpg")
        zf.write(conformance / "reg-test-input" / "pen-and-coaster.png", "pen.png")
    code, out, err = _run(capsys, "match", str(archive), "--json", "--jobs", "2")
    assert code == 0, err
    items = {i["path"]: i for i in json.loads(out)["items"]}
    assert set(items) == {f"{archive}!copies/blur.jpg", f"{archive}!pen.png"}
    assert items[f"{archive}!copies/blur.jpg"]["matches"][0]["series"] == "Bridge"
    assert items[f"{archive}!pen.png"]["matches"] == []


def test_it_reports_a_zip_bomb_given_to_match(capsys, tmp_path, db):
    import zipfile

    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            zf.writestr(f"z{i}.jpg", b"\0" * (8 << 20))
    code, _, err = _run(capsys, "match", str(archive), "--json")
    assert code == 1
    assert "bomb" in err.lower() or "refus" in err.lower()
