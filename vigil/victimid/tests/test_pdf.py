"""vigil/lib/pdf.py renders without touching the network or local files outside its roots."""

from __future__ import annotations

import http.server
import threading

from vigil.lib.pdf import LocalOnlyFetcher, html_to_pdf


def test_it_never_fetches_remote_or_foreign_resources(tmp_path):
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        (tmp_path / "ok.css").write_text("h1 { color: red }")
        html = (
            f'<link rel="stylesheet" href="ok.css"><h1>Report</h1>'
            f'<img src="http://127.0.0.1:{port}/beacon.png">'
            '<link rel="stylesheet" href="file:///etc/passwd">'
        )
        pdf = html_to_pdf(html, base_dir=tmp_path)
    finally:
        server.shutdown()
    assert pdf.startswith(b"%PDF-")
    assert hits == []


def test_it_answers_only_data_and_local_files(tmp_path):
    (tmp_path / "a.css").write_text("x")
    fetcher = LocalOnlyFetcher([tmp_path])
    assert fetcher.fetch((tmp_path / "a.css").as_uri()).read() == b"x"
    for url in (
        "http://example.com/x",
        "file:///etc/passwd",
        "ftp://x/y",
        (tmp_path / ".." / "b").as_uri(),
    ):
        try:
            fetcher.fetch(url)
        except ValueError:
            continue
        raise AssertionError(f"fetched {url}")


def test_it_leaves_truncated_images_refused_after_rendering():
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on at import; vigil.lib.pdf turns it off."""
    import pytest
    from PIL import ImageFile

    from vigil.lib import pdq

    from .conftest import BRIDGE

    html_to_pdf("<p>x</p>")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    with pytest.raises(pdq.MediaError) as exc:
        pdq.hash_image(_write_truncated(BRIDGE))
    assert exc.value.code == "truncated"


def _write_truncated(src):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "t.jpg"
    path.write_bytes(src.read_bytes()[:4000])
    return path
