"""Checks of the HTML reports (plan, comparison, sweep), shared by their tests: the page parsed,
its charts read as PNGs, and the page opened in a real headless Chromium."""

from __future__ import annotations

import base64
import io
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from PIL import Image

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WINDOW_WIDTH = 1200  # CSS pixels: the page's 1080-pixel column and its charts at full width
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "wbr", "col", "area", "base"}


class Page(HTMLParser):
    """The parts of a page the checks need, and whether its elements nest properly."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.images: list[dict[str, str]] = []
        self.headings: list[str] = []
        self.ids: list[str] = []
        self._heading: list[str] | None = None
        self.feed(text)
        self.close()
        if self.open:
            self.problems.append(f"never closed: {self.open}")

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        self.attributes += [(tag, name, value) for name, value in values.items()]
        self.ids += [values["id"]] if "id" in values else []
        if tag == "img":
            self.images.append(values)
        if tag in ("h1", "h2", "h3"):
            self._heading = []
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)


def report_files(folder: Path) -> dict[str, bytes]:
    """report.html and every chart of a report's folder, by relative path."""
    files = [folder / "report.html", *sorted((folder / "charts").iterdir())]
    return {str(f.relative_to(folder)): f.read_bytes() for f in files}


def page_of(written: dict[str, dict[str, bytes]], kind: str) -> tuple[str, Page]:
    """The text of the report written for ``kind`` (files as :func:`report_files` reads them),
    and the page parsed."""
    text = written[kind]["report.html"].decode("utf-8")
    return text, Page(text)


def assert_self_contained(text: str, page: Page) -> None:
    """The page loads nothing from elsewhere: every source an embedded PNG, every link an anchor
    in the page, no stylesheet, script file, @import or url(), and a policy that forbids them."""
    for tag, name, value in page.attributes:
        if name in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", value, re.I), (tag, name, value[:80])
        if name == "src":
            assert value.startswith("data:image/png;base64,"), (tag, value[:80])
        if name == "href":
            assert value.startswith("#"), value
    assert not re.search(r"<link\b|<script\b[^>]*\bsrc=|@import|url\(", text, re.I)
    assert "Content-Security-Policy" in text and "default-src &#x27;none&#x27;" in text


def assert_embedded_png(page: Page, path: str, data: bytes, heights: tuple[int, int]) -> None:
    """The chart ``data`` (``path`` in the folder) is a real PNG without a Software tag, 1000 to
    2000 pixels wide and ``heights`` (least, most) high, embedded in ``page`` at its own size,
    with an alt text."""
    assert data.startswith(PNG_MAGIC), path
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG" and "Software" not in image.info
    width, height = image.size
    assert 1000 <= width <= 2000 and heights[0] <= height <= heights[1], (path, image.size)
    source = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    embedded = [img for img in page.images if img["src"] == source]
    assert embedded, path
    assert (int(embedded[0]["width"]), int(embedded[0]["height"])) == (width, height)
    assert embedded[0]["alt"]


def chromium(
    browser: Path, html: Path, profile: Path, screenshot: Path | None = None, height: int = 900
) -> tuple[int, str, str]:
    """Open a page in headless Chromium (the ``browser`` fixture: the test skips without one)
    in a window ``WINDOW_WIDTH`` x ``height`` CSS pixels at one device pixel each: exit code,
    the DOM once loaded (or, with ``screenshot``, the window saved there as a PNG, and no
    DOM), the browser log."""
    output = [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    done = subprocess.run(
        [
            str(browser), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
            f"--window-size={WINDOW_WIDTH},{height}", "--force-device-scale-factor=1",
            "--hide-scrollbars", "--enable-logging=stderr", "--v=0", *output, html.as_uri(),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def chart_boxes(dom: str) -> dict[str, tuple[int, int, int, int]]:
    """Where the page drew each chart, by stem: (left, top, width, height) in CSS pixels from
    the page's top left, as the page's script marks each image (``data-box``)."""
    found = re.findall(r'<figure id="chart-([^"]+)"><img [^>]*?data-box="([-\d ]+)"', dom)
    return {stem: tuple(int(v) for v in box.split()) for stem, box in found}


def ink(image: Image.Image) -> float:
    """The share of an image's pixels that are drawn in ink: dark or coloured, not the white
    background, the light grey grid or a pale shading."""
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    if pixels.size == 0:
        return 0.0
    dark = pixels.min(axis=2) < 200
    coloured = pixels.max(axis=2) - pixels.min(axis=2) > 40
    return float((dark | coloured).mean())


def panel_boxes(fig, box: tuple[int, int, int, int], inset: int = 4) -> list[tuple]:
    """Where each visible panel (axes) of a matplotlib figure lands in a chart drawn at
    ``box`` (left, top, width, height): (left, top, right, bottom) pixels, ``inset`` pixels
    inside its spines and ticks."""
    left, top, width, height = box
    boxes = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        place = ax.get_position()  # figure fractions, from the bottom left
        boxes.append((
            round(left + place.x0 * width) + inset, round(top + (1 - place.y1) * height) + inset,
            round(left + place.x1 * width) - inset, round(top + (1 - place.y0) * height) - inset,
        ))  # fmt: skip
    return boxes


def script_errors(log: str) -> list[str]:
    """Console messages (the page logs none) and JavaScript errors in Chromium's log."""
    pattern = re.compile(r"Uncaught|ERROR:CONSOLE|:CONSOLE|JavaScript|Content Security Policy")
    return [line for line in log.splitlines() if pattern.search(line)]
