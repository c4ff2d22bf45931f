"""A user makes an API token on the page, calls the API with it, reads the local API docs."""

import os

import pytest

from vigil.testing.browser import collect_console_errors, login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def test_it_makes_a_token_uses_it_and_revokes_it(page, live_server, personas):
    errors = collect_console_errors(page)
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    login(page, live_server, personas.investigator)
    page.click("[data-testid=api-link]")
    page.fill("input[name=name]", "case tool")
    page.select_option("select[name=days]", "30")
    page.click("[data-testid=token-form] button[type=submit]")
    secret = page.inner_text("[data-testid=token-secret]").strip()
    api = page.context.request
    response = api.get(f"{live_server.url}/api/tips/", headers={"Authorization": f"Token {secret}"})
    assert response.status == 200
    # The documentation: Swagger UI from our own static files, under the strict CSP.
    page.click("[data-testid=api-docs-link]")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert "/api/tips/" in page.inner_text(".swagger-ui")
    page.goto(f"{live_server.url}/accounts/api-tokens/")
    key_id = secret.split("_")[1]
    page.click(f"[data-testid=token-revoke-{key_id}]")
    assert "revoked" in page.inner_text(f"[data-testid=token-row-{key_id}]")
    refused = api.get(f"{live_server.url}/api/tips/", headers={"Authorization": f"Token {secret}"})
    assert refused.status == 401
    assert not errors, errors
    assert not outside, outside
