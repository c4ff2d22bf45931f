"""The user guide served by the app: docs/user-guide.md and the feature guides beside it.

`/help/` renders docs/user-guide.md, `/help/<name>/` one of the feature guides of `GUIDES`, and
`/help/guide/<picture>.png` the guide's screenshots (docs/guide/, taken by the journey tests).
Markdown goes through markdown-it-py in CommonMark mode with raw HTML off (written out as
text) and tables on; markdown-it refuses javascript:, vbscript:, file: and data: links. Links
between the documents are rewritten to these pages, so a guide reads the same on GitHub and in
the app. Only signed-in users read them; nothing here is case data (no read is audited).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from markdown_it import MarkdownIt

# The documents a user reads (docs/operations.md and docs/security.md are for operators and
# stay in the repository). Name → file under docs/.
GUIDES = {
    "tips": "tips.md",
    "deconfliction": "deconfliction.md",
    "lookups": "lookups.md",
    "referrals": "referrals.md",
    "victimid": "victimid.md",
    "exchange": "exchange.md",
}
TITLES = {
    "tips": "Tips and bulk import",
    "deconfliction": "Flags and links",
    "lookups": "Look-ups and subpoenas",
    "referrals": "Referrals and sharing",
    "victimid": "Victim identification",
    "exchange": "Partner exchange",
}
USER_GUIDE = "user-guide.md"
_PICTURE = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}\.png$")
_DOC_LINK = re.compile(r"^(?:\./|docs/)?([a-z-]+)\.md(#[A-Za-z0-9_-]*)?$")
_PICTURE_LINK = re.compile(r"^(?:\./|docs/)?guide/([a-z0-9-]+\.png)$")


def docs_dir() -> Path:
    return Path(settings.REPO_DIR) / "docs"


def slug(text: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def _target(href: str) -> str:
    """A link between the documents, as a link to the page that serves it."""
    picture = _PICTURE_LINK.match(href)
    if picture:
        return reverse("core-help-image", args=[picture.group(1)])
    doc = _DOC_LINK.match(href)
    if doc is None:
        return href
    name, anchor = doc.group(1), doc.group(2) or ""
    if name + ".md" == USER_GUIDE:
        return reverse("core-help") + anchor
    if name in GUIDES:
        return reverse("core-help-doc", args=[name]) + anchor
    return href


_md = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> tuple[str, list[tuple[int, str, str]]]:
    """HTML of a document and its headings (level, anchor, text) for the table of contents."""
    tokens = _md.parse(text)
    headings = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[i + 1].content
            anchor = slug(title)
            token.attrSet("id", anchor)
            headings.append((int(token.tag[1]), anchor, title))
        for child in token.children or ():
            if child.type == "link_open":
                child.attrSet("href", _target(str(child.attrGet("href") or "")))
            elif child.type == "image":
                child.attrSet("src", _target(str(child.attrGet("src") or "")))
                child.attrSet("loading", "lazy")
    return _md.renderer.render(tokens, _md.options, {}), headings


@lru_cache(maxsize=16)
def _rendered(path: Path, mtime_ns: int) -> tuple[str, list[tuple[int, str, str]]]:
    return render_markdown(path.read_text(encoding="utf-8"))


def _page(request: HttpRequest, filename: str) -> HttpResponse:
    path = docs_dir() / filename
    try:
        body, headings = _rendered(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise Http404(f"{filename} is not in this installation's docs/ folder.") from None
    title = headings[0][2] if headings else filename
    return render(
        request,
        "core/help.html",
        {
            "body": body,
            "title": title,
            "contents": [h for h in headings if h[0] == 2],
            "guides": TITLES.items(),
        },
    )


@login_required
@require_GET
def guide(request: HttpRequest) -> HttpResponse:
    return _page(request, USER_GUIDE)


@login_required
@require_GET
def doc(request: HttpRequest, name: str) -> HttpResponse:
    if name not in GUIDES:
        raise Http404("No such guide.")
    return _page(request, GUIDES[name])


@login_required
@require_GET
def image(request: HttpRequest, name: str) -> FileResponse:
    if not _PICTURE.match(name):
        raise Http404("No such picture.")
    path = docs_dir() / "guide" / name
    if not path.is_file():
        raise Http404("No such picture.")
    response = FileResponse(path.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
