"""Real browser: the medical page opens, a DICOM upload renders, a JPEG radiograph gets an answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import ARTIFACTS, click_and_wait, no_exception, require_browser, wait_for_app
from dicom_support import pydicom_file

pytestmark = pytest.mark.browser
require_browser()
from playwright import sync_api as playwright_api  # noqa: E402


def _open(page: object, server: str) -> None:
    page.goto(f"{server}/medical")
    wait_for_app(page)
    playwright_api.expect(page.locator("h1").first).to_contain_text("Medical imaging", timeout=60_000)


def test_dicom_upload_renders(new_page: object, server: str) -> None:
    page = new_page
    _open(page, server)
    click_and_wait(page, page.get_by_text("Upload", exact=True), shows=page.locator("[data-testid='stFileUploaderDropzoneInput']"))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(pydicom_file("CT_small.dcm")))
    playwright_api.expect(page.get_by_text("CT_small.dcm: CT · MONOCHROME2")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "medical_dicom.png"), full_page=True)


def test_jpeg_radiograph_upload_gets_an_answer(new_page: object, server: str, tmp_path: Path) -> None:
    from PIL import Image

    from cnnapps.medical.dicom import read_dicom, render

    jpeg = tmp_path / "chest.jpg"
    Image.fromarray(render(read_dicom(pydicom_file("RG1_UNCI.dcm")))).save(jpeg, quality=90)
    page = new_page
    _open(page, server)
    click_and_wait(page, page.get_by_text("Chest X-ray", exact=True), shows=page.get_by_text("Grad-CAM opacity"))
    click_and_wait(page, page.get_by_text("Upload", exact=True), shows=page.locator("[data-testid='stFileUploaderDropzoneInput']"))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(jpeg))
    heading = page.get_by_role("heading").filter(has_text="P(pneumonia)")
    playwright_api.expect(heading).to_be_visible(timeout=120_000)
    wait_for_app(page)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "medical_xray.png"), full_page=True)
