import os

import pytest

from vigil.testing.browser import collect_console_errors, login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_the_dashboard_without_csp_errors(page, live_server, personas):
    errors = collect_console_errors(page)
    login(page, live_server, personas.manager)
    assert "maria" in page.inner_text("[data-testid=current-user]")
    page.goto(f"{live_server.url}/audit/")
    page.wait_for_selector("h1")
    assert not errors, errors


def test_it_serves_the_user_guide_with_its_pictures(page, live_server, personas):
    errors = collect_console_errors(page)
    login(page, live_server, personas.reader)
    page.click("[data-testid=help-link]")
    page.wait_for_selector("[data-testid=help-body] h1:has-text('User guide')")
    picture = page.locator("[data-testid=help-body] img").first
    picture.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 1280", arg=picture.element_handle()
    )
    page.click("a:has-text('tips and bulk import')")
    page.wait_for_selector("h2#bulk-import")
    assert not errors, errors
