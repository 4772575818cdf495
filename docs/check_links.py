"""Check the internal links of the built site: each local href and src must name
an existing file and, for a page, an existing anchor.

Run after the HTML build: ``python docs/check_links.py [docs/_build/html]``.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        self.links += [attrs[key] for key in ("href", "src") if attrs.get(key)]


def broken_links(root):
    """Return (page, link) for each internal link of the site under ``root``."""
    pages = {}
    # The theme's template macros under _static are not pages.
    for path in root.rglob("*.html"):
        if "_static" in path.parts:
            continue
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = page
    broken = []
    for path, page in pages.items():
        for link in page.links:
            if re.match(r"^[a-z][a-z0-9+.-]*:", link) or link.startswith("//"):
                continue
            address, _, anchor = link.partition("#")
            target = address.partition("?")[0]
            resolved = (path.parent / target).resolve() if target else path
            if not resolved.exists() or (
                anchor
                and resolved.suffix == ".html"
                and anchor not in pages[resolved].ids
            ):
                broken.append((path.relative_to(root.resolve()), link))
    return broken


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")
    problems = broken_links(site)
    for page, link in problems:
        print(f"{page}: broken link {link}")
    print(f"{len(problems)} broken internal links")
    sys.exit(1 if problems else 0)
