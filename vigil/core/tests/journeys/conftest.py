"""The four journeys of issue 22, each walked through the pages in chromium. Their pictures
(vigil.testing.browser.guide_shot) are docs/user-guide.md's, at 1280×800."""

from __future__ import annotations

import pytest

from vigil.testing.browser import GUIDE_VIEWPORT


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": GUIDE_VIEWPORT}


@pytest.fixture(autouse=True)
def _journey_settings(settings, tmp_path):
    from vigil.victimid import matching

    settings.REQUIRE_MFA = False
    settings.MEDIA_STORE_DIR = tmp_path / "media"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.SHARE_DIR = tmp_path / "shares"
    matching.reset_index()
    yield
    matching.reset_index()
