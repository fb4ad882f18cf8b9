"""Real browser: draw a digit on the canvas with the mouse and see LeNet-5's prediction; the
explorer page's sections render. Screenshots in test-artifacts/ (look at them)."""

from __future__ import annotations

import re

import pytest
from browser_support import ARTIFACTS, no_exception, require_browser, wait_for_app

pytestmark = pytest.mark.browser
require_browser()
from playwright import sync_api as playwright_api  # noqa: E402


def _draw(page, strokes: list[list[tuple[float, float]]]) -> None:
    """Mouse strokes in canvas-relative fractions (0..1) on the drawing canvas."""
    canvas = page.locator("canvas.upper-canvas").first
    playwright_api.expect(canvas).to_be_visible(timeout=60_000)
    box = canvas.bounding_box()
    for stroke in strokes:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
        page.mouse.up()


def test_draw_a_one_and_a_seven(new_page, server: str) -> None:
    page = new_page
    page.goto(f"{server}/digits")
    wait_for_app(page)
    playwright_api.expect(page.locator("h1").first).to_contain_text("Draw a digit", timeout=60_000)
    # A "7": a top bar, then a diagonal down to the bottom left.
    _draw(page, [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]])
    heading = page.locator("h2").filter(has_text=re.compile(r"^\d$")).first
    playwright_api.expect(heading).to_be_visible(timeout=60_000)
    wait_for_app(page)
    no_exception(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer_digit_seven.png"), full_page=True)
    assert heading.inner_text().strip() == "7"
    assert page.get_by_text("what LeNet-5 sees").count() >= 1


@pytest.mark.parametrize("section", ["Layer playground", "Architectures", "Inside a model", "Compare"])
def test_explorer_sections_render(new_page, server: str, section: str) -> None:
    page = new_page
    page.set_viewport_size({"width": 1400, "height": 2600})  # Streamlit scrolls inside; show it all
    page.goto(f"{server}/explorer")
    wait_for_app(page)
    playwright_api.expect(page.locator("h1").first).to_contain_text("Inside a CNN", timeout=60_000)
    if section != "Layer playground":
        page.get_by_text(section, exact=True).first.click()
        page.wait_for_timeout(1000)
        wait_for_app(page)
    no_exception(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"explorer_{section.lower().replace(' ', '_')}.png"), full_page=True)
