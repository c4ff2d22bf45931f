"""Browser: a series of three photos, a ZIP of altered copies plus an unrelated photo, the report."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile

import pytest
from PIL import Image

from vigil.testing.browser import collect_console_errors, login

from .conftest import CONFORMANCE, jpeg

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRIDGE = CONFORMANCE / "bridge-mods/aaa-orig.jpg"
PEN = CONFORMANCE / "reg-test-input/pen-and-coaster.png"
STREET = CONFORMANCE / "misc-images/c.png"
UNRELATED = CONFORMANCE / "reg-test-input/labelme-subset/q1050.jpg"


def _altered_zip(path):
    bridge = Image.open(BRIDGE)
    pen = Image.open(PEN)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "seized/bridge-cropped.jpg",
            jpeg(bridge.crop((10, 8, bridge.width - 10, bridge.height - 8)), 80),
        )
        zf.writestr(
            "seized/pen-resized.jpg",
            jpeg(pen.resize((pen.width * 6 // 10, pen.height * 6 // 10)), 75),
        )
        zf.writestr("seized/street-reencoded.jpg", jpeg(Image.open(STREET), 60))
        zf.writestr("seized/unrelated.jpg", UNRELATED.read_bytes())


def test_it_finds_the_series_of_altered_copies(page, live_server, personas, settings, tmp_path):
    errors = collect_console_errors(page)
    login(page, live_server, personas.investigator)

    page.goto(f"{live_server.url}/victimid/series/new")
    page.fill("#id_name", "Bridge, pen and street")
    page.check("#id_victim_identified")
    page.fill("#id_victim_age_range", "9 to 12")
    page.select_option("#id_relationship_to_offender", "family_friend")
    page.select_option("#id_origin", "real")
    page.fill("#id_year_of_production", "2019")
    page.fill("#id_contact_agency", "Example County Police (demo)")
    page.fill("#id_contact_investigator", "Det. Alex Sample")
    page.fill("#id_contact_email", "a.sample@example.invalid")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Investigator to contact")
    page.set_input_files("input[name=files]", [str(BRIDGE), str(PEN), str(STREET)])
    page.click("text=Upload")
    page.wait_for_selector("text=3 file(s) added.")
    assert page.locator(".vid-cell").count() == 3

    archive = tmp_path / "seized.zip"
    _altered_zip(archive)
    page.goto(f"{live_server.url}/victimid/requests/new")
    page.fill("#id_requesting_agency", "State Police ICAC (demo)")
    page.fill("#id_case_number", "ICAC-2026-0042")
    page.set_input_files("#id_archive", str(archive))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=progress]")
    page.wait_for_selector("[data-testid=status]:has-text('Done')", timeout=20000)
    assert "4 of 4" in page.inner_text("[data-testid=progress-text]")

    items = page.locator("[data-testid=item]")
    assert items.count() == 4
    for name in (
        "seized/bridge-cropped.jpg",
        "seized/pen-resized.jpg",
        "seized/street-reencoded.jpg",
    ):
        item = page.locator(f"[data-testid=item][data-name='{name}']")
        assert item.get_attribute("data-outcome") == "identified"
        text = item.inner_text()
        assert "Bridge, pen and street" in text and "Det. Alex Sample" in text
    unrelated = page.locator("[data-testid=item][data-name='seized/unrelated.jpg']")
    assert unrelated.get_attribute("data-outcome") == "no_match"
    assert unrelated.locator("[data-testid=no-match]").count() == 1

    report = page.request.get(
        live_server.url + page.locator("[data-testid=report-json]").get_attribute("href")
    ).json()
    by_name = {it["name"]: it for it in report["items"]}
    expected_media = {
        "seized/bridge-cropped.jpg": 0,
        "seized/pen-resized.jpg": 1,
        "seized/street-reencoded.jpg": 2,
    }
    refs = [m["id"] for m in report["series"][0]["media"]]
    for name, idx in expected_media.items():
        (match,) = by_name[name]["matches"]
        assert match["media"] == refs[idx]
        assert match["method"] == "pdq" and 0 <= match["distance"] <= 31
        assert match["series"]["contact"]["investigator"] == "Det. Alex Sample"
        assert match["series"]["victim_age_range"] == "9-12"
    assert by_name["seized/unrelated.jpg"]["matches"] == []
    assert report["summary"]["matched_identified"] == 3 and report["summary"]["no_match"] == 1

    pdf = page.request.get(
        live_server.url + page.locator("[data-testid=report-pdf]").get_attribute("href")
    )
    assert pdf.headers["content-type"] == "application/pdf"
    pdf_path = tmp_path / "report.pdf"
    pdf_path.write_bytes(pdf.body())
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Bridge, pen and street" in text and "Det. Alex Sample" in text
    assert "ICAC-2026-0042" in text and "seized/unrelated.jpg — no match" in text
    distance = by_name["seized/bridge-cropped.jpg"]["matches"][0]["distance"]
    assert re.search(rf"PDQ\s+{distance}\s+Bridge,\s+M-\d+\s+Real child", text), text
    assert not errors, errors
