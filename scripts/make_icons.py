"""Draw the app icons (PNG) from icon.svg with Debian's Chromium.

    .venv/bin/python scripts/make_icons.py

Makes icon-192.png and icon-512.png (the rounded icon, transparent corners) and
icon-maskable-512.png (full bleed, the mark inside the central safe zone that launchers
may crop to a circle), next to icon.svg.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parent.parent / "src/broadsheet/web/static/web/icons"
CHROMIUM = "/usr/bin/chromium"
BACKGROUND = "#13294b"
MASKABLE_SCALE = 0.72  # the mark fits the maskable safe zone (a circle of 80% of the width)


def maskable_svg(svg: str) -> str:
    """The same mark on a full square, shrunk around the centre."""
    inner = re.search(r"<g .*?</g>", svg, re.S)
    if inner is None:
        raise SystemExit("icon.svg has no <g> group to reuse")
    offset = 50 * (1 - MASKABLE_SCALE)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" fill="{BACKGROUND}"/>'
        f'<g transform="translate({offset:.2f} {offset:.2f}) scale({MASKABLE_SCALE})">'
        f"{inner.group(0)}</g></svg>"
    )


def render(page, svg: str, size: int, out: Path) -> None:
    html = (
        "<!doctype html><html><body style='margin:0;background:transparent'>"
        f"<div style='width:{size}px;height:{size}px'>"
        + svg.replace("<svg ", f"<svg style='display:block;width:{size}px;height:{size}px' ", 1)
        + "</div></body></html>"
    )
    page.set_viewport_size({"width": size, "height": size})
    page.set_content(html)
    page.screenshot(path=str(out), omit_background=True,
                    clip={"x": 0, "y": 0, "width": size, "height": size})
    print(f"wrote {out}")


def main() -> None:
    svg = (ICONS / "icon.svg").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(device_scale_factor=1)
        render(page, svg, 192, ICONS / "icon-192.png")
        render(page, svg, 512, ICONS / "icon-512.png")
        render(page, maskable_svg(svg), 512, ICONS / "icon-maskable-512.png")
        browser.close()


if __name__ == "__main__":
    main()
