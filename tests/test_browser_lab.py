"""Real browser: the training lab trains live, stops at once, and keeps the finished run."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, no_exception, require_browser, wait_for_app

pytestmark = pytest.mark.browser
require_browser()
from playwright import sync_api as playwright_api  # noqa: E402


def test_lab_trains_live_and_the_stop_button_ends_the_run(new_page: object, server: str) -> None:
    page = new_page
    page.goto(f"{server}/lab")
    wait_for_app(page)
    playwright_api.expect(page.locator("h1").first).to_contain_text("Training lab", timeout=60_000)
    # The most training images and epochs the sliders allow: a run long enough (about a minute)
    # that it is still going when the test clicks Stop; the default run ends in about 2 s.
    for label in ("Training images", "Epochs"):
        page.get_by_role("slider", name=label).first.press("End")
        wait_for_app(page)
    main = page.get_by_test_id("stMain")  # the toolbar has Streamlit's own "Stop" button
    main.get_by_role("button", name="Train", exact=True).click()
    stop = main.get_by_role("button", name="Stop")
    playwright_api.expect(stop).to_be_visible(timeout=60_000)
    # Live curves appear after the first epoch while the run goes on.
    playwright_api.expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=120_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "lab_live.png"), full_page=True)
    stop.click()
    playwright_api.expect(page.get_by_text("Stopped after")).to_be_visible(timeout=30_000)
    playwright_api.expect(main.get_by_role("button", name="Stop")).to_have_count(0)
    wait_for_app(page)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "lab_stopped.png"), full_page=True)
    page.get_by_role("tab", name="Run history").click()
    playwright_api.expect(page.get_by_text("Compare")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "lab_history.png"), full_page=True)
