"""HTML to PDF with WeasyPrint, never reaching the network.

WeasyPrint fetches every stylesheet, image and font a document names. A report
is built from data partners sent us (file names, notes), so a crafted value
must not make the server fetch a URL. The fetcher here answers only ``data:``
URLs and ``file:`` URLs inside the directories the caller allows (the app's
static files); anything else is refused and the resource is simply left out.
"""

from __future__ import annotations

import functools
import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from PIL import ImageFile


@functools.cache
def _weasyprint() -> Any:
    """WeasyPrint, imported on first use: it costs about a second of start-up, which
    every process importing a module that *may* render a PDF would otherwise pay."""
    import weasyprint
    import weasyprint.urls

    # WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES = True when imported,
    # which would make every later decode in this process accept truncated files
    # (vigil/lib/pdq.py relies on it being False to report them). Our PDFs embed only
    # images we generated, so put Pillow's safe default back.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


@functools.cache
def _fetcher_class() -> type:
    URLFetcher = _weasyprint().urls.URLFetcher
    URLFetcherResponse = _weasyprint().urls.URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc,valid-type]
        """A URL fetcher for ``data:`` URLs and files under ``roots``; refuses the rest."""

        def __init__(self, roots: Iterable[str | os.PathLike[str]] = ()) -> None:
            super().__init__(allowed_protocols={"data", "file"})
            self.roots = [Path(r).resolve() for r in roots]
            self.refused: list[str] = []

        def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and not parts.netloc:
                path = Path(unquote(parts.path)).resolve()
                if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        path.as_uri(), path.read_bytes(), headers={"Content-Type": mime}
                    )
            self.refused.append(url[:200])
            raise ValueError(f"refused to fetch {url[:200]!r}: only local resources are allowed")

    return LocalOnlyFetcher


def __getattr__(name: str) -> Any:
    if name == "LocalOnlyFetcher":
        return _fetcher_class()
    raise AttributeError(name)


def html_to_pdf(
    html: str, *, base_dir: str | os.PathLike[str] | None = None, roots: Iterable[str] = ()
) -> bytes:
    """Render ``html`` to PDF bytes. Relative URLs resolve against ``base_dir``.

    ``roots`` are directories whose files may be read (stylesheets, fonts);
    ``base_dir`` is one of them implicitly.
    """
    allowed = list(roots)
    if base_dir is not None:
        allowed.append(os.fspath(base_dir))
    fetcher = _fetcher_class()(allowed)
    base_url = Path(base_dir).resolve().as_uri() + "/" if base_dir is not None else None
    doc = _weasyprint().HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return doc.write_pdf()
