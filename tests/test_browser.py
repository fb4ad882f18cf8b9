"""Real-browser suite for the shell (navigation, sidebar) and the classify and sentiment pages.

Fixtures `server` and `new_page` live in conftest.py; the plumbing in browser_support.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    REPO,
    chromium_context,
    no_exception,
    require_browser,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser
require_browser()
from playwright import sync_api as playwright_api  # noqa: E402

_wait_for_app = wait_for_app
_no_exception = no_exception


@pytest.fixture
def page(new_page: object) -> object:
    return new_page


def test_deep_link_on_a_fresh_server_goes_through_the_entry_script() -> None:
    # Must be the first request a server sees, so this test starts its own: see
    # cnnapps/ui/navigation.py for the legacy pages/ mode this guards against.
    with streamlit_server() as fresh, chromium_context() as context:
        page = context.new_page()
        page.goto(f"{fresh}/classify")
        _wait_for_app(page)
        _assert_app_chrome(page)
        playwright_api.expect(page.locator("h1").first).to_contain_text("Classify an image")


def _assert_app_chrome(page: object) -> None:
    """Our navigation titles and the runtime sidebar, not Streamlit's file-name navigation."""
    sidebar = page.get_by_test_id("stSidebar")
    playwright_api.expect(sidebar.get_by_text("Device:")).to_be_visible(timeout=60_000)
    playwright_api.expect(sidebar.get_by_text("Sentiment of text")).to_be_visible()


PAGES = [("", "home", "cnnapps"), ("classify", "classify", "Classify an image"),
         ("sentiment", "sentiment", "Sentiment of text")]


@pytest.mark.parametrize(("path", "shot", "title"), PAGES)
def test_every_page_opens(page: object, server: str, path: str, shot: str, title: str) -> None:
    page.goto(f"{server}/{path}")
    _wait_for_app(page)
    playwright_api.expect(page.locator("h1").first).to_contain_text(title, timeout=60_000)
    _assert_app_chrome(page)
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)


def test_classify_upload_shows_label(page: object, server: str) -> None:
    page.goto(f"{server}/classify")
    _wait_for_app(page)
    page.get_by_text("Upload", exact=True).click()
    _wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        str(REPO / "cnnapps" / "assets" / "parrot.jpg"))
    playwright_api.expect(page.get_by_role("heading", name="macaw")).to_be_visible(timeout=120_000)
    _wait_for_app(page)
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "classify_upload.png"), full_page=True)


def test_classify_corrupt_upload_shows_error(page: object, server: str, tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not a png at all")
    page.goto(f"{server}/classify")
    _wait_for_app(page)
    page.get_by_text("Upload", exact=True).click()
    _wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bad))
    playwright_api.expect(page.get_by_text("not an image we can read")).to_be_visible(timeout=60_000)
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "classify_error.png"), full_page=True)


def test_sentiment_sentence_shows_prediction(page: object, server: str) -> None:
    page.goto(f"{server}/sentiment")
    _wait_for_app(page)
    box = page.get_by_role("textbox", name="Sentence", exact=True)
    box.fill("the plot is nothing but boilerplate clichés")
    box.press("Control+Enter")  # Streamlit's text area submits on Ctrl+Enter
    heading = page.get_by_role("heading").filter(has_text="negative ·")
    playwright_api.expect(heading).to_be_visible(timeout=60_000)
    _wait_for_app(page)
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "sentiment_negative.png"), full_page=True)
