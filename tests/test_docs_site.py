"""The built documentation site (``make docs``): links, images and scripts, in headless Chromium.

Skipped unless the site has been built (``docs/_build/html``); ``make test`` builds it first,
and under ``CI=true`` a missing site or browser fails instead of skipping. Every page is
served over HTTP from a local server and opened in one Chromium, driven through the DevTools
protocol on a pipe (no extra dependency): each image must decode, the page must log no console
error or uncaught exception, and it must request nothing from the network. Every internal link
(``href``, ``src``) of every page must lead to a file of the site, and its ``#fragment`` to an
element of that page.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import importlib.util
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
SITE = DOCS / "_build" / "html"
#: Lessons and reports that every build must contain (a page missing is a broken site).
REQUIRED = [
    "index.html",
    "lessons/01-coin-flip.html",
    "gallery.html",
    "gallery/coin_flip/report.html",
    "gallery/logistic_regression/report.html",
    "cli.html",
    "api/index.html",
]
#: Resolves after every image of the page has decoded (lazy ones made eager), with their sizes.
IMAGE_PROBE = """(async () => {
  const out = [];
  for (const img of document.images) {
    img.loading = "eager";
    try { await img.decode(); } catch (e) { /* reported below as a zero size */ }
    out.push([img.getAttribute("src").slice(0, 80), img.naturalWidth, img.naturalHeight]);
  }
  return JSON.stringify(out);
})()"""


def _screenshots():
    """``docs/screenshots.py``, whose `DevTools` client drives Chromium here too."""
    spec = importlib.util.spec_from_file_location("screenshots", DOCS / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _site() -> Path:
    if not (SITE / "index.html").is_file():
        if os.environ.get("CI"):
            pytest.fail("the documentation site is not built (make test runs make docs-strict)")
        pytest.skip("the documentation site is not built (run make docs)")
    return SITE


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0][0] not in "_.")


class _Links(html.parser.HTMLParser):
    """Collect a page's link targets (href, src) and its element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif name in ("href", "src") and tag in ("a", "link", "img", "script", "iframe"):
                self.targets.append(value)


@functools.cache
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def _broken_links(site: Path, page: Path) -> Iterator[str]:
    for target in _parse(page).targets:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith("data:"):
            continue  # external (checked by no test: the site is built offline) or inline
        path = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or site.resolve() not in path.resolve().parents:
            yield f"{target} (no such file)"
        elif parts.fragment and path.suffix == ".html":
            if unquote(parts.fragment) not in _parse(path).ids:
                yield f"{target} (no element with that id)"


def test_every_lesson_checks_its_numbers_and_folds_its_solutions():
    """Each lesson is an executed notebook with asserts, and two or more folded solutions."""
    lessons = sorted((DOCS / "lessons").glob("[0-9][0-9]-*.md"))
    index = (DOCS / "lessons" / "index.md").read_text()
    assert len(lessons) >= 9
    for lesson in lessons:
        text = lesson.read_text()
        cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)```", text, re.DOTALL)
        assert "file_format: mystnb" in text, lesson.name
        assert sum(cell.count("assert ") for cell in cells) >= 2, lesson.name
        assert text.count(":::{dropdown} Solution") >= 2, lesson.name
        assert f"\n{lesson.stem}\n" in index, f"{lesson.name} is not in the lessons' toctree"


def test_required_pages_exist():
    site = _site()
    missing = [name for name in REQUIRED if not (site / name).is_file()]
    assert not missing, missing


def test_math_is_rendered_as_mathml():
    """The lessons' formulas reach the page as MathML, not as LaTeX source for a script."""
    page = (_site() / "lessons" / "01-coin-flip.html").read_text(encoding="utf-8")
    assert page.count("<math") > 10
    assert "\\frac" not in page  # no LaTeX source left for a script to typeset
    assert not re.search(r"<script[^>]*mathjax", page, re.IGNORECASE)


def test_no_broken_internal_link():
    site = _site()
    broken = {
        str(page.relative_to(site)): found
        for page in _pages(site)
        if (found := sorted(set(_broken_links(site, page))))
    }
    assert not broken, json.dumps(broken, indent=1)


# ------------------------------------------------------------------------ the browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request log in the test output
        pass


def _problems(events: list[dict], base: str) -> list[str]:
    """Console errors, uncaught exceptions, error log entries and requests off the site."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            found.append("console: " + " ".join(str(a.get("value")) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            found.append("exception: " + params["exceptionDetails"].get("text", ""))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith((base, "data:", "blob:", "about:")):
                found.append(f"network request off the site: {url}")
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[tuple[object, str]]:
    site = _site()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required on CI (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tools = _screenshots().DevTools(chromium, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield tools, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        tools.close()
        server.shutdown()
        server.server_close()


def test_every_page_in_headless_chromium(browser):
    tools, base = browser
    site = _site()
    target = tools.call("Target.createTarget", url="about:blank")["targetId"]
    session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        tools.call(f"{domain}.enable", session)
    failures: dict[str, list[str]] = {}
    images = 0
    for page in _pages(site):
        url = urljoin(base, page.relative_to(site).as_posix())
        tools.events.clear()
        tools.call("Page.navigate", session, url=url)
        tools.wait_for("Page.loadEventFired", session)
        probe = tools.call("Runtime.evaluate", session, expression=IMAGE_PROBE, awaitPromise=True)
        sizes = json.loads(probe["result"]["value"])
        found = [f"image did not decode: {src}" for src, w, h in sizes if not w * h]
        images += len(sizes)
        found += _problems(tools.events, base)
        if found:
            failures[url.removeprefix(base)] = found
    assert not failures, json.dumps(failures, indent=1)
    assert images >= 10, "the lessons and the gallery show figures: none were found"
