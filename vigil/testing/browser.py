"""Browser-test helpers (pytest-playwright driving Debian's chromium).

In a browser test module:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"   # playwright runs an event loop
    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
"""

from __future__ import annotations

from pathlib import Path
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
