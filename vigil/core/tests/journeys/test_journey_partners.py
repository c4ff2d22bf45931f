"""Journey 4: a partner instance pulls the new series' hashes by sync; the first instance revokes
the partner's token; the next pull is refused.

Two real Vigil instances (vigil.testing.instance, as vigil/exchange/tests/test_sync.py builds
them), each Manager working in their own browser context (both answer on 127.0.0.1, and cookies
do not tell ports apart). The pull is `vigil sync_partner`, what the partner's scheduler runs.
"""

from __future__ import annotations

import json
import os

import pytest

from vigil.testing.browser import GUIDE_VIEWPORT, guide_shot, login
from vigil.testing.instance import Instance
from vigil.testing.pictures import jpeg, picture

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser]

CHIEF = "from vigil.testing.personas import make_user\nmake_user('chief', 'manager')\n"
SERIES = "Riverside (demo)"


@pytest.fixture
def pair(tmp_path):
    a = Instance.create(tmp_path / "a", "alpha")
    b = Instance.create(tmp_path / "b", "beta")
    try:
        for inst in (a, b):
            inst.py(CHIEF)
            inst.start()
        yield a, b
    finally:
        a.stop()
        b.stop()


class Chief:
    """The instance's Manager: a username with `url` for vigil.testing.browser.login."""

    username = "chief"


def _keys(page, inst):
    page.goto(f"{inst.url}/exchange/identity")
    return page.inner_text("[data-testid=signing-key]"), page.inner_text("[data-testid=age-key]")


def _add_partner(page, inst, name, keys):
    """The partner form, then Approve: the partner's organisation, levels and public keys."""
    page.goto(f"{inst.url}/exchange/partners/new")
    page.fill("input[name=name]", name)
    page.fill("input[name=organisation]", f"{name.title()} unit (demo)")
    page.fill("input[name=country]", "US")
    page.select_option("select[name=may_receive]", "2")
    page.select_option("select[name=sends]", "2")
    page.fill("input[name=signing_key]", keys[0])
    page.fill("input[name=age_recipient]", keys[1])
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=partner-status]")
    page.click("button[name=verb][value=approve]")
    page.wait_for_selector("[data-testid=partner-status]:has-text('Approved')")
    return page.url


def test_a_partner_pulls_by_sync_until_its_token_is_revoked(
    page, browser, browser_context_args, pair, tmp_path
):
    a, b = pair
    page_b = browser.new_context(**{**browser_context_args, "viewport": GUIDE_VIEWPORT}).new_page()
    login(page, a, Chief)
    login(page_b, b, Chief)

    # 1. At alpha, a new series of three (generated) pictures.
    files = []
    for seed in (7, 8, 9):
        path = tmp_path / f"riverside-{seed}.jpg"
        path.write_bytes(jpeg(picture(seed)))
        files.append(str(path))
    page.goto(f"{a.url}/victimid/series/new")
    page.fill("#id_name", SERIES)
    page.fill("#id_contact_agency", "Alpha unit (demo)")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Investigator to contact")
    page.set_input_files("input[name=files]", files)
    page.click("text=Upload", no_wait_after=True)  # hashed while the page waits
    page.wait_for_selector("text=3 file(s) added.", timeout=120000)

    # 2. Each Manager registers the other instance with its public keys; alpha issues a token.
    keys_a, keys_b = _keys(page, a), _keys(page_b, b)
    beta_at_alpha = _add_partner(page, a, "beta", keys_b)
    page.fill("input[name=label]", "beta's sync")
    page.click("button:has-text('Issue a token')")
    token = page.inner_text("[data-testid=token-secret]").strip()
    alpha_at_beta = _add_partner(page_b, b, "alpha", keys_a)
    page_b.fill("input[name=sync_url]", a.url)
    page_b.fill("input[name=token]", token)
    guide_shot(page_b, "partners-sync-settings", focus="h3:has-text('Live sync')")
    page_b.click("button:has-text('Save sync settings')")
    page_b.wait_for_selector("text=Sync settings saved.")

    # 3. beta pulls: the new series' hash records arrive.
    pulled = json.loads(b.vigil("sync_partner", "alpha", "--json").stdout)
    assert pulled["created"] == 3 and pulled["rejected"] == [], pulled
    page_b.goto(alpha_at_beta)
    transfers = page_b.inner_text("table:below(h2:has-text('Recent transfers'))")
    assert "Live sync" in transfers and "created: 3" in transfers
    guide_shot(page_b, "partners-pulled", focus="h2:has-text('Recent transfers')")
    page_b.goto(f"{b.url}/victimid/")
    assert SERIES in page_b.inner_text("main")

    # 4. alpha revokes beta's token; the next pull is refused.
    page.goto(beta_at_alpha)
    page.click("form[action*='/revoke'] button:has-text('Revoke')")
    page.wait_for_selector("td:text-is('revoked')")
    guide_shot(page, "partners-token-revoked", focus="h2:has-text('API tokens')")
    refused = b.vigil("sync_partner", "alpha", check=False)
    assert refused.returncode != 0
    assert "refused the pull (401): The token is unknown, expired or revoked" in refused.stderr
    page_b.context.close()
