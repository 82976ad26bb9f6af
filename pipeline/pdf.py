"""Child-process entry point: ``python -m pipeline.pdf IN.html OUT.pdf``.

Only ``data:`` URIs are fetched; any other URL (file://, http://, relative paths) is refused, and the
refusal is reported on stderr. Exit 3 when WeasyPrint or its system libraries are missing.
"""
from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    source, target = argv
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        print(f"WeasyPrint is not usable ({exc}); install it with '.venv/bin/pip install weasyprint' "
              "(and the Debian package libpango-1.0-0 if a library is missing)", file=sys.stderr)
        return 3
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    with open(source, encoding="utf-8") as fh:
        page = fh.read()
    from weasyprint.urls import URLFetcher

    class DataOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                print(f"refused to fetch {url[:100]}", file=sys.stderr)
            return super().fetch(url, headers)

    fetcher = DataOnly(allowed_protocols=("data",), allow_redirects=False, timeout=1)
    document = HTML(string=page, base_url="about:blank", url_fetcher=fetcher, media_type="print")
    document.write_pdf(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
