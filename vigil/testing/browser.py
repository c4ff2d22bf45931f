"""Browser-test helpers (pytest-playwright driving Debian's chromium).

In a browser test module:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"   # playwright runs an event loop
    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from PIL import Image

from vigil.testing.personas import PASSWORD


def login(page: Any, live_server: Any, user: Any, password: str = PASSWORD) -> None:
    """Sign `user` in through the real login form and wait for the dashboard."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=current-user]")


# What a page still fetches after its `load` event, and how it shows it is done: an htmx request
# keeps the class htmx-request on its element until the answer is swapped in (htmx-swapping,
# htmx-settling and htmx-added until it settles); the cluster graph's fetch sets data-ready
# once drawn (or writes its error text). htmx issues a `load`-triggered request before the
# window's load event, so after `page.goto` this sees every one in flight.
_SETTLED = """() => {
  if (document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"))
    return false;
  const graph = document.getElementById("cluster-graph");
  return !graph || !graph.dataset.src || graph.dataset.ready === "true"
    || graph.textContent.includes("could not be loaded");
}"""


def wait_until_settled(page: Any, timeout: float = 15000) -> None:
    """Wait until what the page loads after its load event is in (htmx panels, the cluster
    graph). What `wait_for_load_state("networkidle")` waited for, without its fixed 500 ms of
    network silence on every page."""
    page.wait_for_function(_SETTLED, timeout=timeout)


def collect_console_errors(page: Any) -> list[str]:
    """Collect console errors (CSP violations show up here); assert the list is empty at the end."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


# --- Accessibility: axe-core, vendored (vigil/testing/data/axe, MPL-2.0), never a CDN -----------

AXE_JS = Path(__file__).resolve().parent / "data" / "axe" / "axe.min.js"
# WCAG 2.2 AA: the A and AA rules of each version.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def axe_violations(page: Any, tags: list[str] | None = None) -> list[dict]:
    """axe-core's violations on the page as it is now (evaluated through the debugging
    protocol, so the page's strict CSP needs no exception)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(_AXE_RUN, tags or WCAG_TAGS)


def describe_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{url}:"]
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n}" for n in v["nodes"]]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the user guide's pictures

GUIDE_DIR = Path(__file__).resolve().parents[2] / "docs" / "guide"
GUIDE_VIEWPORT = {"width": 1280, "height": 800}


def guide_shot(page: Any, name: str, *, focus: str | None = None) -> None:
    """Save what the page shows (1280×800) as docs/guide/<name>.png for docs/user-guide.md.

    Only when VIGIL_GUIDE_SCREENSHOTS=1 (docs/user-guide.md says how to regenerate them): an
    ordinary test run writes nothing into the tree. `focus`: a selector scrolled to the top first.
    The picture is reduced to a 256-colour palette, without dithering (text stays sharp and the
    file small: ~60 KB instead of ~250 KB).
    """
    if os.environ.get("VIGIL_GUIDE_SCREENSHOTS") != "1":
        return
    if focus is not None:
        page.locator(focus).first.evaluate(
            "e => { e.scrollIntoView({block: 'start'}); window.scrollBy(0, -12); }"
        )
    # The pictures must not show a blinking caret or a hover underline.
    page.mouse.move(0, 0)
    raw = page.screenshot(animations="disabled", caret="hide")
    GUIDE_DIR.mkdir(parents=True, exist_ok=True)
    with Image.open(io.BytesIO(raw)) as im:
        small = im.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        small.save(GUIDE_DIR / f"{name}.png", optimize=True)


def open_tip_page(page: Any, url: str, *selectors: str, attempts: int = 4) -> None:
    """Open a tip page and wait until every selector (one per htmx panel) is there.

    The tip page loads its panels at once; under the test suite's in-memory SQLite the live
    server shares one connection between its threads, so a concurrent panel request can fail
    there: reload until every panel came (PostgreSQL and the real server do not have the
    problem). The last attempt raises.
    """
    for attempt in range(attempts):
        page.goto(url)
        try:
            for selector in selectors:
                page.wait_for_selector(selector, timeout=15000)
            return
        except Exception:
            if attempt == attempts - 1:
                raise
