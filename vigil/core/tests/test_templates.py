"""Strict CSP (script-src 'self'; style-src 'self') means no inline code or style in any template."""

import re
from pathlib import Path

import vigil

INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle\s*=|<style|\son[a-z]+\s*=|hx-on|javascript:",
    re.IGNORECASE,
)
COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)


def _source(path: Path) -> str:
    return COMMENTS.sub("", path.read_text())


def test_it_has_no_inline_script_or_style_in_any_template():
    root = Path(vigil.__file__).parent
    found = [
        f"{path.relative_to(root)}: {match.group(0).strip()}"
        for path in root.rglob("*.html")
        for match in INLINE.finditer(_source(path))
    ]
    assert not found, found


def test_it_serves_every_asset_locally():
    root = Path(vigil.__file__).parent
    remote = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)
    found = [
        str(path.relative_to(root)) for path in root.rglob("*.html") if remote.search(_source(path))
    ]
    assert not found, found
