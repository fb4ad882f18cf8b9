"""Real-browser smoke test: `streamlit run` + Playwright driving Debian's /usr/bin/chromium.

The shape of Streamlit's own e2e harness (e2e_playwright/conftest.py): start the server on a free
port with its output going to a file, poll /_stcore/health, wait for the script to finish
running, look for stException. Screenshots land in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CNNAPPS_CHROMIUM", "/usr/bin/chromium")
# Without these, headless Chromium keeps trying the network here (ARCHITECTURE.md gotchas).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# CI sets CNNAPPS_REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping.
_REQUIRED = os.environ.get("CNNAPPS_REQUIRE_BROWSER") == "1"
if not _REQUIRED:
    pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)", allow_module_level=True)
from playwright import sync_api as playwright_api  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    env = {**os.environ, "CNNAPPS_OFFLINE": "1", "CNNAPPS_DEVICE": "cpu"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not become healthy in 120 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.seek(0)
        print(log.read())  # shown by pytest when a test fails
        log.close()
        os.unlink(log.name)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    ARTIFACTS.mkdir(exist_ok=True)
    profile = tempfile.mkdtemp(prefix="cnnapps-chromium-")
    with playwright_api.sync_playwright() as pw:
        # A fresh, empty profile per run (launch_persistent_context passes --user-data-dir).
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context.new_page()
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def _wait_for_app(page: object, timeout_ms: int = 180_000) -> None:
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=timeout_ms)
    # The script has finished this run and no skeleton placeholders remain.
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           state="attached", timeout=timeout_ms)
    playwright_api.expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
    page.wait_for_timeout(500)


def _no_exception(page: object) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_deep_link_on_a_fresh_server_goes_through_the_entry_script(page: object, server: str) -> None:
    # Must be the first request this server sees (tests run in file order): see
    # cnnapps/ui/navigation.py for the legacy pages/ mode this guards against.
    page.goto(f"{server}/classify")
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
