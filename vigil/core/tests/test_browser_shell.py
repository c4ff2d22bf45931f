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
