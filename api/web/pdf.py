"""HTML to PDF with WeasyPrint, offline: the only resources a page may load are this package's static files
(stylesheets); every other URL (another host, a data: URL, a file) is refused, so rendering never reaches the
network or the disk outside api/web/static/."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

STATIC = Path(__file__).parent / "static"
BASE_URL = "http://synth.invalid/"  # never fetched: the fetcher below answers /static/ itself
MIME = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png"}


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme != "http" or parts.netloc != urlsplit(BASE_URL).netloc or not parts.path.startswith(
                    "/static/"):
                raise ValueError(f"not one of this site's static files: {url[:80]}")
            path = (STATIC / parts.path.removeprefix("/static/")).resolve()
            if STATIC.resolve() not in path.parents or not path.is_file():
                raise ValueError(f"no static file {parts.path}")
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": MIME.get(path.suffix, "text/plain")})

    return StaticOnly()


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html` as a printer would lay it out (the page's @media print rules apply)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # a refused icon URL is expected, not news
    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher(), media_type="print").write_pdf()
    assert pdf is not None
    return bytes(pdf)
