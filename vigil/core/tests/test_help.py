"""The guides served at /help/ (vigil/core/help.py) and the pictures of docs/user-guide.md."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from PIL import Image

from vigil.core import help as core_help
from vigil.testing.browser import GUIDE_DIR, GUIDE_VIEWPORT
from vigil.testing.roles import check_roles

GUIDE = core_help.docs_dir() / core_help.USER_GUIDE
PICTURES = re.findall(r"\]\(guide/([a-z0-9-]+\.png)\)", GUIDE.read_text())


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.REQUIRE_MFA = False


def test_it_serves_the_guides_to_every_signed_in_user(client, personas):
    check_roles(client, personas, "get", reverse("core-help"))
    check_roles(client, personas, "get", reverse("core-help-doc", args=["tips"]))
    check_roles(client, personas, "get", reverse("core-help-image", args=[PICTURES[0]]))


def test_it_renders_the_user_guide_with_its_pictures_and_links(client, personas):
    client.force_login(personas.reader)
    page = client.get(reverse("core-help")).content.decode()
    assert '<h2 id="intake">Intake</h2>' in page
    assert f'src="/help/guide/{PICTURES[0]}"' in page
    assert 'href="/help/tips/#bulk-import"' in page  # tips.md#bulk-import, served
    assert 'href="#roles-refusals-and-the-audit-trail"' in page
    picture = client.get(reverse("core-help-image", args=[PICTURES[0]]))
    assert picture["Content-Type"] == "image/png"
    assert b"".join(picture.streaming_content).startswith(b"\x89PNG")


def test_every_guide_has_a_title_and_a_file():
    assert set(core_help.TITLES) == set(core_help.GUIDES)
    for name in core_help.GUIDES.values():
        assert (core_help.docs_dir() / name).is_file(), name


def test_it_serves_only_the_user_documents_and_pictures(client, personas):
    client.force_login(personas.investigator)
    assert client.get("/help/operations/").status_code == 404
    assert client.get("/help/security/").status_code == 404
    for name in ("..%2Fuser-guide.md", "x.jpg", "missing-picture.png", "..%2F..%2Fsettings.py"):
        assert client.get(f"/help/guide/{name}").status_code == 404, name


def test_it_writes_raw_html_and_script_links_out_as_text():
    html, headings = core_help.render_markdown(
        "# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](lookups.md#rdap) "
        "[z](operations.md) ![p](guide/a-b.png)\n"
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert 'href="/help/lookups/#rdap"' in html
    assert 'href="operations.md"' in html  # not served: left as written
    assert 'src="/help/guide/a-b.png"' in html
    assert headings == [(1, "title", "Title")]


def test_the_bulk_import_page_points_to_the_served_guide(client, personas):
    client.force_login(personas.investigator)
    page = client.get(reverse("tips-import")).content.decode()
    assert "docs/tips.md" not in page
    assert 'href="/help/tips/#bulk-import"' in page
    assert 'href="/help/#intake"' in page
    guide = client.get("/help/tips/").content.decode()
    assert '<h2 id="bulk-import">Bulk import</h2>' in guide


def test_the_navigation_links_to_the_guide(client, personas):
    client.force_login(personas.reader)
    assert 'data-testid="help-link"' in client.get(reverse("core-dashboard")).content.decode()


def test_every_picture_the_guide_names_is_there_small_and_used():
    on_disk = {p.name for p in GUIDE_DIR.glob("*.png")}
    assert set(PICTURES) == on_disk, set(PICTURES) ^ on_disk
    total = 0
    for name in PICTURES:
        path = GUIDE_DIR / name
        total += path.stat().st_size
        with Image.open(path) as im:
            assert im.size == (GUIDE_VIEWPORT["width"], GUIDE_VIEWPORT["height"]), name
    assert total < 3 * 1024 * 1024, total
