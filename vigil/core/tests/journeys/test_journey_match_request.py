"""Journey 2: an agency's match request with a ZIP, through the pages.

The report shows an identified series with its contact, origin and the other media of the series
(blurred, grey) → the analyst reveals one thumbnail → the items that matched nothing are listed as
new material and kept as a new series → the audit trail shows the request, the reveal and the new
series. Benign photos (vigil/testing/data/conformance) and generated pictures only.
"""

from __future__ import annotations

import os
import zipfile

import pytest
from PIL import Image

from vigil.testing import conformance
from vigil.testing.browser import collect_console_errors, guide_shot, login
from vigil.testing.pictures import jpeg, picture
from vigil.victimid import actions as victimid_actions

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRIDGE = conformance.PDQ / "bridge-mods" / "aaa-orig.jpg"
PEN = conformance.PDQ / "reg-test-input" / "pen-and-coaster.png"
STREET = conformance.PDQ / "misc-images" / "c.png"
SERIES = "Harbour walk (demo)"


def known_series(actor) -> None:
    """An identified-victim series of three benign photos, as the unit keeps it."""
    series = victimid_actions.do_create_series(
        actor=actor,
        data={
            "name": SERIES,
            "victim_identified": True,
            "victim_age_range": "9-12",
            "relationship_to_offender": "family_friend",
            "year_of_production": 2019,
            "origin": "real",
            "contact_agency": "Example County Police (demo)",
            "contact_investigator": "Det. Alex Sample",
            "contact_email": "a.sample@example.invalid",
        },
    )
    for path in (BRIDGE, PEN, STREET):
        victimid_actions.do_add_media(
            series, actor=actor, data=path.read_bytes(), filename=path.name
        )


def seized_zip(path) -> None:
    """A cropped copy of one known photo and two pictures nobody has seen."""
    bridge = Image.open(BRIDGE)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "seized/IMG_0412.jpg",
            jpeg(bridge.crop((10, 8, bridge.width - 10, bridge.height - 8)), 80),
        )
        zf.writestr("seized/IMG_0413.jpg", jpeg(picture(41)))
        zf.writestr("seized/IMG_0414.jpg", jpeg(picture(42)))


def test_a_match_request_with_new_material(page, live_server, personas, tmp_path):
    errors = collect_console_errors(page)
    url = live_server.url
    known_series(personas.manager)
    archive = tmp_path / "seized.zip"
    seized_zip(archive)

    # 1. The analyst submits the agency's ZIP.
    login(page, live_server, personas.investigator)
    page.goto(f"{url}/victimid/requests/new")
    page.fill("#id_requesting_agency", "State Police ICAC (demo)")
    page.fill("#id_case_number", "ICAC-2026-0042")
    page.set_input_files("#id_archive", str(archive))
    guide_shot(page, "match-request-form")
    # The request is hashed and matched while the page waits (the test's task backend runs it
    # at once): on a loaded machine that can outlast the click's own 30 s wait.
    page.click("main button[type=submit]", no_wait_after=True)
    page.wait_for_selector("[data-testid=status]:has-text('Done')", timeout=180000)
    assert "3 of 3" in page.inner_text("[data-testid=progress-text]")

    # 2. The report: the identified series, its contact and origin, its media blurred and grey.
    item = page.locator("[data-testid=item][data-name='seized/IMG_0412.jpg']")
    assert item.get_attribute("data-outcome") == "identified"
    match = item.locator("[data-testid=match]").inner_text()
    assert SERIES in match and "Det. Alex Sample" in match
    assert "Real child" in item.locator("[data-testid=origin]").inner_text()
    guide_shot(page, "match-report", focus="[data-testid=summary]")
    thumbs = page.locator(".vid-cell img[alt^='Blurred grey thumbnail']")
    assert thumbs.count() == 3  # the series' three media, the matched one included

    # 3. The analyst reveals one thumbnail (logged).
    cell = page.locator(".vid-grid .vid-cell").first
    cell.locator("button:has-text('Reveal')").click()
    page.wait_for_selector("[data-testid=revealed]")
    assert page.locator(".vid-cell img[alt^='Blurred grey thumbnail']").count() == 2
    guide_shot(page, "match-report-revealed", focus=".vid-grid")

    # 4. What matched nothing is new material: kept as a new series.
    material = page.locator("[data-testid=new-material]")
    assert "2 items matched nothing" in material.inner_text()
    material.locator("input[name=name]").fill("ICAC-2026-0042 new material (demo)")
    guide_shot(page, "match-new-material", focus="[data-testid=new-material]")
    material.locator("button:has-text('Keep as a series')").click()
    page.wait_for_selector("h1:has-text('ICAC-2026-0042 new material (demo)')")
    assert page.locator(".vid-cell").count() == 2
    assert "State Police ICAC (demo)" in page.inner_text("body")
    guide_shot(page, "match-new-series")

    # 5. The audit trail holds the request, the reveal and the new series.
    page.context.clear_cookies()
    login(page, live_server, personas.manager)
    page.goto(f"{url}/audit/?user={personas.investigator.username}")
    trail = page.inner_text("table")
    for action in ("matchrequest.create", "media.reveal", "series.create"):
        assert action in trail, action
    guide_shot(page, "audit-trail")
    assert not errors, errors
