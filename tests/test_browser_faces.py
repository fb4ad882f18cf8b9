"""Real browser: the face page verifies two uploaded photos and shows every mode."""

from __future__ import annotations

import pytest

from tests.browser_support import REPO, click_and_wait, no_exception, screenshot, wait_for_app

pytestmark = pytest.mark.browser
FACES = REPO / "cnnapps" / "assets" / "faces"


# What only each mode draws: proof that the rerun the mode switch started has drawn its page.
MODE_SHOWS = {"Detect": "Minimum face probability", "Verify": "Photo B",
              "Identify": "Enrol the 4 bundled people", "Cluster": "Use the nine bundled photos",
              "Anonymise": "Anonymise a"}


def _mode(page: object, name: str) -> None:
    # An option of the mode switch (a segmented control: a button group).
    option = page.locator("[data-testid='stButtonGroup'] button").filter(has_text=name).first
    click_and_wait(page, option, shows=page.get_by_text(MODE_SHOWS[name]).first)


def test_verify_two_uploaded_photos(new_page: object, server: str) -> None:
    from playwright import sync_api

    page = new_page
    page.goto(f"{server}/faces")
    wait_for_app(page)
    _mode(page, "Verify")
    # Two inputs side by side, each with its own source switch: upload a photo into each.
    for i, photo in enumerate(("john1.jpg", "rose_leslie_img1.jpg")):
        click_and_wait(page, page.get_by_text("Upload", exact=True).nth(i), shows=page.locator("[data-testid='stFileUploaderDropzoneInput']").nth(i))
        page.locator("[data-testid='stFileUploaderDropzoneInput']").nth(i).set_input_files(str(FACES / photo))
        wait_for_app(page)
    sync_api.expect(page.get_by_text("Different people")).to_be_visible(timeout=120_000)
    no_exception(page)
    screenshot(page, "faces_verify_different")
    # Same person: replace photo B with another photo of Kit Harington.
    page.locator("[data-testid='stFileUploaderDropzoneInput']").nth(1).set_input_files(str(FACES / "john2.jpg"))
    wait_for_app(page)
    sync_api.expect(page.get_by_text("Same person")).to_be_visible(timeout=120_000)
    no_exception(page)
    screenshot(page, "faces_verify_same")


@pytest.mark.parametrize("mode", ["Detect", "Identify", "Cluster", "Anonymise"])
def test_every_mode_renders(new_page: object, server: str, mode: str) -> None:
    page = new_page
    page.goto(f"{server}/faces")
    wait_for_app(page)
    _mode(page, mode)
    if mode == "Identify":
        page.get_by_role("button", name="Enrol the 4 bundled people").click()
        wait_for_app(page)
        from playwright import sync_api

        sync_api.expect(page.get_by_text("4 people, 4 faces")).to_be_visible(timeout=120_000)
    no_exception(page)
    screenshot(page, f"faces_{mode.lower()}")
