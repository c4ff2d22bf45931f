import io
import os

import pytest
from openpyxl import load_workbook

from vigil.testing.browser import collect_console_errors, login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_charts_and_downloads_an_xlsx_with_the_figures(page, live_server, personas, known):
    errors = collect_console_errors(page)
    login(page, live_server, personas.manager)
    page.goto(f"{live_server.url}/stats/?from=2026-01&to=2026-04")
    page.wait_for_selector("svg.chart")
    assert page.input_value("input[name=from]") == "2026-01"
    assert page.input_value("input[name=to]") == "2026-04"
    assert page.locator("svg.chart").count() >= 10
    chart = page.locator("[data-testid=figure-tips-received] svg.chart")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("rect.bar").count() == 2  # January and March
    assert page.get_by_role("heading", name="Tips received", exact=True).is_visible()
    with page.expect_download() as info:
        page.click("[data-testid=export-xlsx]")
    data = info.value.path().read_bytes()
    ws = load_workbook(io.BytesIO(data))["Statistics"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows[1]
    ips = next(r for r in rows if r[2] == "ip_addresses_received")
    assert ips[header.index("2026-03")] == 3
    assert ips[header.index("Total")] == 5
    assert errors == []
