"""Browser-test helpers (pytest-playwright driving Debian's chromium).

In a browser test module:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"   # playwright runs an event loop
    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
"""

from __future__ import annotations

from typing import Any

from vigil.testing.personas import PASSWORD


def login(page: Any, live_server: Any, user: Any, password: str = PASSWORD) -> None:
    """Sign `user` in through the real login form and wait for the dashboard."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=current-user]")


def collect_console_errors(page: Any) -> list[str]:
    """Collect console errors (CSP violations show up here); assert the list is empty at the end."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors
