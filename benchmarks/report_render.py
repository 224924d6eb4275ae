"""Open a benchmark's report.html in a real headless Chromium: screenshot + DOM check.

The report marks, on its load event, each ``<img>`` with ``data-rendered="yes"|"no"`` (from
``naturalWidth``) and ``<body>`` with ``data-images`` / ``data-images-ok`` / ``data-tables``.
This script dumps the DOM after load (``--dump-dom``), checks that every table and image made
it and every image decoded, saves a PNG screenshot, and prints the figures with the time
Chromium took (and, as its baseline, the time to start Chromium on an empty page).

    python benchmarks/report_render.py OUT/report.html [--screenshot OUT/report.png]

Exit status 0 when the page is whole, 1 when something did not render, 2 when Chromium is
missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

FLAGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@dataclass
class RenderCheck:
    tables_in_file: int
    images_in_file: int
    tables_rendered: int
    images_reported: int
    images_ok: int
    images_failed: list[str]
    screenshot: Path | None
    seconds: float

    @property
    def ok(self) -> bool:
        return (self.tables_rendered == self.tables_in_file > 0
                and self.images_reported == self.images_in_file
                and self.images_ok == self.images_in_file and not self.images_failed)


def _run(chromium: str, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="mammofm-chromium-") as profile:
        cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def _body_attr(dom: str, name: str) -> int:
    m = re.search(r"<body[^>]*\b" + re.escape(name) + r'="(\d+)"', dom)
    return int(m.group(1)) if m else -1


def check_report(html_path: str | Path, screenshot: str | Path | None = None,
                 chromium: str | None = None, timeout: float = 60.0) -> RenderCheck:
    """Render ``html_path`` headless; count what rendered (see the module docstring)."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium not found (apt-get install -y chromium)")
    page = Path(html_path).resolve()
    source = page.read_text(encoding="utf-8")
    n_tables = len(re.findall(r"<table\b", source))
    n_images = len(re.findall(r"<img\b", source))
    url = page.as_uri()
    t0 = time.perf_counter()
    dom = _run(chromium, ["--virtual-time-budget=10000", "--dump-dom", url], timeout).stdout
    shot = None
    if screenshot is not None:
        shot = Path(screenshot).resolve()
        shot.parent.mkdir(parents=True, exist_ok=True)
        _run(chromium, ["--virtual-time-budget=10000", "--window-size=1280,2400",
                        f"--screenshot={shot}", url], timeout)
        if not shot.is_file():
            shot = None
    seconds = time.perf_counter() - t0
    failed = re.findall(r'<img[^>]*src="([^"]+)"[^>]*data-rendered="no"', dom)
    failed += re.findall(r'<img[^>]*data-rendered="no"[^>]*src="([^"]+)"', dom)
    return RenderCheck(n_tables, n_images, _body_attr(dom, "data-tables"),
                       _body_attr(dom, "data-images"), _body_attr(dom, "data-images-ok"),
                       sorted(set(failed)), shot, seconds)


def baseline_seconds(chromium: str, timeout: float = 60.0) -> float:
    """Time to start Chromium and dump an empty page: the fixed cost in every render."""
    t0 = time.perf_counter()
    _run(chromium, ["--dump-dom", "about:blank"], timeout)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path)
    ap.add_argument("--screenshot", type=Path, default=None,
                    help="PNG path (default: report.png beside the HTML)")
    args = ap.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    shot = args.screenshot or args.html.with_suffix(".png")
    check = check_report(args.html, shot, chromium)
    base = baseline_seconds(chromium)
    print(f"tables: {check.tables_rendered}/{check.tables_in_file} rendered")
    print(f"images: {check.images_ok}/{check.images_in_file} decoded "
          f"({check.images_reported} seen by the page script)")
    if check.images_failed:
        print("images that did not render: " + ", ".join(check.images_failed))
    print(f"screenshot: {check.screenshot or 'not written'}")
    print(f"render time (DOM dump + screenshot): {check.seconds:.2f} s; baseline (Chromium on "
          f"about:blank): {base:.2f} s")
    print("OK" if check.ok else "INCOMPLETE")
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
