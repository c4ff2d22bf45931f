"""Sign-in, lock-out, MFA and idle time-out in a real browser (Debian's chromium)."""

import os
import time

import pytest

from vigil.accounts.tests.test_mfa import totp
from vigil.testing.browser import collect_console_errors, login
from vigil.testing.personas import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def _submit(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_it_signs_in(page, live_server, personas):
    errors = collect_console_errors(page)
    login(page, live_server, personas.reader)
    assert "reader" in page.inner_text("[data-testid=current-user]")
    assert "Read-only" in page.inner_text("[data-testid=current-user]")
    assert not errors, errors


def test_it_says_so_when_the_password_is_wrong(page, live_server, personas):
    _submit(page, live_server, "reader", "not the password")
    assert "Wrong username or password" in page.inner_text("[data-testid=login-error]")


def test_it_locks_the_account_after_five_failures(page, live_server, personas):
    for _ in range(4):
        _submit(page, live_server, "reader", "not the password")
        page.wait_for_selector("[data-testid=login-error]")
    _submit(page, live_server, "reader", "not the password")
    assert "locked" in page.inner_text("[data-testid=locked]")
    # The right password does not help any more.
    _submit(page, live_server, "reader", PASSWORD)
    page.wait_for_selector("[data-testid=locked]")


def test_it_enrols_an_authenticator_and_signs_in_with_a_code(page, live_server, personas, settings):
    settings.REQUIRE_MFA = True
    errors = collect_console_errors(page)
    login(page, live_server, personas.investigator)
    secret = page.inner_text("[data-testid=totp-secret]").strip()
    page.fill("input[name=token]", totp(secret))
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("text=Sign out")
    page.wait_for_selector("input[name=username]")
    login(page, live_server, personas.investigator)
    assert "/accounts/mfa/verify/" in page.url
    # The code just used cannot be replayed: use the next time step's.
    page.fill("input[name=token]", totp(secret, time.time() + 30))
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    assert not errors, errors


def test_it_signs_out_an_idle_session(page, live_server, personas, settings):
    settings.SESSION_IDLE_SECONDS = 1
    login(page, live_server, personas.reader)
    time.sleep(1.5)
    page.goto(f"{live_server.url}/messages/")
    page.wait_for_selector("[data-testid=idle-notice]")
    assert "/accounts/login/" in page.url


def test_it_shows_the_foundation_pages_without_csp_errors(page, live_server, personas):
    errors = collect_console_errors(page)
    login(page, live_server, personas.admin)
    for path in (
        "/",
        "/messages/",
        "/accounts/manage/",
        "/accounts/manage/new/",
        f"/accounts/manage/{personas.reader.pk}/",
        "/accounts/password/",
        "/audit/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector("h1")
    assert not errors, errors
