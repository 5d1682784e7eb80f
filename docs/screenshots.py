"""Screenshots for the README: the built site, and real reports at desktop and phone width.

``make docs-screenshots`` (after ``make docs``): each page of `PAGES` is served from
``docs/_build/html`` over HTTP, shot by headless Chromium at 1280 x 1000 CSS pixels.

``make report-screenshots`` (``python docs/screenshots.py --reports``): runs the commands of
`REPORTS` (``inference-compare run coin_flip`` and ``logistic_regression``, a small ``study``)
into a temporary folder, opens each report in headless Chromium at 1280 and at 390 CSS pixels
(a phone), and shoots the sections of `REPORT_SHOTS`. Chromium is driven through the DevTools
protocol on a pipe (`DevTools`, no extra dependency). Every shot is saved under ``docs/`` as a
small palette PNG.
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

__all__ = ["PAGES", "REPORTS", "REPORT_SHOTS", "DevTools", "main", "shoot_reports"]

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


#: Reports to shoot: folder name -> the command's arguments (fixed seeds: the same pictures on
#: every run of the same code).
REPORTS = {
    "coin_flip": ["run", "coin_flip", "--seed", "1"],
    "logistic_regression": ["run", "logistic_regression", "--seed", "1"],
    "study": ["study", "coin_flip", "--sizes", "10,30,100", "--replicates", "40", "--seed", "1"],
}
#: Shots: (report folder, page, element id or "" for the top, CSS width, file under docs/).
REPORT_SHOTS = [
    ("coin_flip", "report.html", "", 1280, "report-coin-flip-1280.png"),
    ("coin_flip", "report.html", "", 390, "report-coin-flip-390.png"),
    # a vector's element: its profile likelihood beside prior and posterior
    (
        "logistic_regression",
        "report.html",
        "parameter-beta[GPA]",
        1280,
        "report-logistic-curves-1280.png",
    ),
    ("logistic_regression", "report.html", "forest", 1280, "report-logistic-forest-1280.png"),
    ("logistic_regression", "report.html", "forest", 390, "report-logistic-forest-390.png"),
    ("study", "study.html", "", 1280, "report-study-1280.png"),
    ("study", "study.html", "", 390, "report-study-390.png"),
]
#: Height of a shot in CSS pixels: a desktop screen, a phone screen (two of them for a section).
SHOT_HEIGHT = {1280: 1000, 390: 1600}
#: Seconds Chromium may take to answer (a report is about 1 MB of embedded images).
TIMEOUT = 60
#: Resolves after every image of the page has decoded.
IMAGES_DECODED = """(async () => {
  for (const img of document.images) { img.loading = "eager"; await img.decode().catch(() => 0); }
  return document.images.length;
})()"""


class DevTools:
    """A minimal Chrome DevTools protocol client on ``--remote-debugging-pipe`` (fds 3 and 4).

    Parameters
    ----------
    chromium : str
        The Chromium executable.
    profile : path
        An empty folder for Chromium's profile.
    """

    def __init__(self, chromium: str, profile: Path) -> None:
        to_chrome, self._write = os.pipe()
        self._read, from_chrome = os.pipe()
        # the shell hands the pipe's ends to chromium as its fds 3 (commands) and 4 (replies)
        wiring = f'exec "$0" "$@" 3<&{to_chrome} 4>&{from_chrome}'
        self.proc = subprocess.Popen(
            [
                "bash",
                "-c",
                wiring,
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--hide-scrollbars",
                "--no-first-run",
                "--window-size=1280,900",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(to_chrome, from_chrome),
        )
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.time()))
            if not ready:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.time() + TIMEOUT
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, event: str, session: str) -> None:
        """Wait until ``event`` has arrived for ``session``."""
        deadline = time.time() + TIMEOUT
        while not any(
            e.get("method") == event and e.get("sessionId") == session for e in self.events
        ):
            self.events.append(self._receive(deadline))

    def close(self) -> None:
        """Stop Chromium and close the pipe."""
        self.proc.kill()
        self.proc.wait()
        os.close(self._write)
        os.close(self._read)


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
    _palette(target.read_bytes(), target)


def _palette(png: bytes, target: Path) -> None:
    """Save ``png`` to ``target`` as a small palette PNG."""
    with Image.open(io.BytesIO(png)) as shot:
        small = shot.convert("RGB").quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
    small.save(target, optimize=True)


def _make_reports(folder: Path) -> None:
    """Run the commands of `REPORTS`, each into its own folder under ``folder``."""
    program = Path(sys.executable).parent / "inference-compare"
    for name, args in REPORTS.items():
        print(f"inference-compare {' '.join(args)}", flush=True)
        subprocess.run(
            [str(program), *args, "--out", str(folder / name), "--no-progress"],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def _shoot_section(tools: DevTools, session: str, url: str, element: str, width: int) -> bytes:
    """Open ``url`` at ``width`` CSS pixels and shoot from the top of ``element`` (or the page)."""
    height = SHOT_HEIGHT[width]
    tools.call(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=width < 600,
    )
    tools.events.clear()
    tools.call("Page.navigate", session, url=url)
    tools.wait_for("Page.loadEventFired", session)
    tools.call("Runtime.evaluate", session, expression=IMAGES_DECODED, awaitPromise=True)
    top = 0.0
    if element:
        where = f"document.getElementById({json.dumps(element)}).getBoundingClientRect().top"
        top = tools.call("Runtime.evaluate", session, expression=f"{where} + window.scrollY")
        top = float(top["result"]["value"])
    clip = {"x": 0, "y": top, "width": width, "height": height, "scale": 1}
    shot = tools.call(
        "Page.captureScreenshot", session, format="png", clip=clip, captureBeyondViewport=True
    )
    return base64.b64decode(shot["data"])


def shoot_reports(folder: Path | None = None) -> int:
    """Make the reports of `REPORTS` (or use those in ``folder``) and shoot `REPORT_SHOTS`."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("needs chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        if folder is None:
            folder = Path(scratch) / "reports"
            _make_reports(folder)
        tools = DevTools(chromium, Path(scratch) / "profile")
        try:
            target = tools.call("Target.createTarget", url="about:blank")["targetId"]
            session = tools.call("Target.attachToTarget", targetId=target, flatten=True)
            session = session["sessionId"]
            tools.call("Page.enable", session)
            for report, page, element, width, name in REPORT_SHOTS:
                url = (folder / report / page).resolve().as_uri()
                _palette(_shoot_section(tools, session, url, element, width), DOCS / name)
                print(f"{DOCS / name}: {(DOCS / name).stat().st_size // 1024} KiB")
        finally:
            tools.close()
    return 0


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
    if sys.argv[1:2] == ["--reports"]:  # optional: a folder of reports made before
        sys.exit(shoot_reports(Path(sys.argv[2]) if len(sys.argv) > 2 else None))
    sys.exit(main())
