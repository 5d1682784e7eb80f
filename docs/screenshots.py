"""Screenshots of the built site for the README: a lesson and the gallery, at desktop width.

Run after ``make docs`` (``make docs-screenshots``): each page is served from
``docs/_build/html`` over HTTP, shot by headless Chromium at 1280 x 1000 CSS pixels and saved
under ``docs/`` as a small palette PNG.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from PIL import Image

__all__ = ["PAGES", "main"]

DOCS = Path(__file__).resolve().parent
SITE = DOCS / "_build" / "html"
#: Page of the site -> screenshot file under docs/.
PAGES = {
    "lessons/01-coin-flip.html": "lesson-screenshot.png",
    "gallery.html": "gallery-screenshot.png",
}
WINDOW = (1280, 1000)
#: Colours kept in the palette PNG: text and figures stay crisp, the file stays small.
COLOURS = 96


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _shoot(chromium: str, url: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                "--virtual-time-budget=10000",
                f"--screenshot={target}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    with Image.open(target) as shot:
        small = shot.convert("RGB").quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
    small.save(target, optimize=True)


def main() -> int:
    """Shoot every page of `PAGES`; return the exit status."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not (SITE / "index.html").is_file():
        print("needs chromium and a built site (make docs)", file=sys.stderr)
        return 2
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for page, name in PAGES.items():
            _shoot(chromium, f"http://127.0.0.1:{server.server_address[1]}/{page}", DOCS / name)
            print(f"{DOCS / name}: {(DOCS / name).stat().st_size // 1024} KiB")
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
