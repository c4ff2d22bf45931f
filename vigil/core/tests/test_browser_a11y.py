"""Every main page, as each role, at 1280×800 and at 390×844: zero axe-core violations
(WCAG 2.2 AA), and at 390 px no horizontal page overflow with the navigation, the inbox and
sign-out still reachable."""

from __future__ import annotations

import os

import pytest

from vigil.testing.browser import axe_violations, describe_violations, login, wait_until_settled
from vigil.testing.world import build, use_tmp_dirs

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(personas, settings, tmp_path):
    use_tmp_dirs(settings, tmp_path)
    return build(personas).urls()


def _visit(page, url):
    response = page.goto(url)
    if response is None or response.status not in (200, 404):
        return False
    if "text/html" not in response.headers.get("content-type", ""):
        return False
    wait_until_settled(page)
    return True


def _check_role(page, live_server, user, urls):
    login(page, live_server, user)
    failures = []
    seen = []
    for path in urls:
        if not _visit(page, live_server.url + path):
            continue
        seen.append(path)
        violations = axe_violations(page)
        if violations:
            failures.append(describe_violations(f"{user.username} {path}", violations))
    print(user.username, len(seen), "pages:", " ".join(seen))
    assert len(seen) >= 8, f"{user.username}: only {seen} visited"
    return failures


@pytest.mark.parametrize("role", ["reader", "investigator", "manager", "admin"])
def test_every_main_page_has_no_axe_violation(page, live_server, personas, world, role):
    page.set_viewport_size({"width": 1280, "height": 800})
    failures = _check_role(page, live_server, getattr(personas, role), world)
    assert not failures, "\n".join(failures)


def test_the_sign_in_page_has_no_axe_violation(page, live_server, db):
    page.goto(f"{live_server.url}/accounts/login/")
    violations = axe_violations(page)
    assert not violations, describe_violations("login", violations)


_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The outermost elements reaching past the screen's right edge (what to fix).
_WIDE = """() => {
  const w = document.documentElement.clientWidth, out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 0.5))
      out.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : "")
        + (el.name ? "[name=" + el.name + "]" : "") + " " + Math.round(r.width) + "px");
  }
  return out.slice(0, 5).join(", ");
}"""


@pytest.mark.parametrize("role", ["reader", "manager"])
def test_at_390_px_nothing_overflows_and_the_header_keeps_its_links(
    page, live_server, personas, world, role
):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, getattr(personas, role))
    failures = []
    for path in world:
        if not _visit(page, live_server.url + path):
            continue
        overflow = page.evaluate(_OVERFLOW)
        if overflow > 0:
            wide = page.evaluate(_WIDE)
            failures.append(f"{path}: the page is {overflow} px wider than the screen: {wide}")
        for link in ["header nav a", "[data-testid=unread]", "header .who button.link"]:
            for handle in page.query_selector_all(link):
                box = handle.bounding_box()
                if not handle.is_visible() or box is None or box["x"] + box["width"] > 390.5:
                    failures.append(f"{path}: {link} {handle.inner_text()!r} is out of reach")
    violations = axe_violations(page)
    assert not violations, describe_violations("390 px", violations)
    assert not failures, "\n".join(failures)
