"""Real-browser plumbing shared by every tests/test_browser*.py file.

The shape of Streamlit's own e2e harness (e2e_playwright/conftest.py): start `streamlit run` on a
free port with its output going to a file, poll /_stcore/health, wait for the script to finish
running, look for stException. Playwright drives Debian's /usr/bin/chromium (its own browser
download is never used). Screenshots land in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CNNAPPS_CHROMIUM", "/usr/bin/chromium")
# Without these, headless Chromium keeps trying the network here (ARCHITECTURE.md gotchas).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 # A fake camera for pages with live video (detection's webcam stream).
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# CI sets CNNAPPS_REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping.
REQUIRED = os.environ.get("CNNAPPS_REQUIRE_BROWSER") == "1"


def require_browser() -> None:
    """Skip (or, in CI, fail) when Playwright or Chromium is missing."""
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "playwright is not installed (pip install -r requirements-dev.txt)"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    if problem:
        if REQUIRED:
            pytest.fail(problem)
        pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def streamlit_server(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """A `streamlit run streamlit_app.py` on a free port (offline, CPU); yields its base URL."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    env = {**os.environ, "CNNAPPS_OFFLINE": "1", "CNNAPPS_DEVICE": "cpu", **(extra_env or {})}
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


@contextlib.contextmanager
def chromium_context() -> Iterator[object]:
    """A Playwright browser context on Debian's Chromium with a fresh, empty profile."""
    from playwright import sync_api

    ARTIFACTS.mkdir(exist_ok=True)
    profile = tempfile.mkdtemp(prefix="cnnapps-chromium-")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()
            import shutil

            shutil.rmtree(profile, ignore_errors=True)


def wait_for_app(page: object, timeout_ms: int = 180_000, *, settle_ms: int = 500) -> None:
    """Wait until the app's script has finished its run and no skeleton placeholder remains, then
    ``settle_ms`` more for the browser to paint (0 when timing the app itself)."""
    from playwright import sync_api

    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           state="attached", timeout=timeout_ms)
    sync_api.expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
    if settle_ms:
        page.wait_for_timeout(settle_ms)


def click_and_wait(page: object, target: object, *, shows: object, timeout_ms: int = 180_000) -> None:
    """Click `target`, wait until `shows` (drawn only by the rerun the click starts) is on the page, then
    until that rerun has finished.

    `wait_for_app` alone can return before the rerun begins (the click reaches the server
    asynchronously), while the previous run's elements are still on the page: a locator such as
    "Upload" then matches the old and the new widget at once.
    """
    from playwright import sync_api

    target.click()
    sync_api.expect(shows).to_be_attached(timeout=timeout_ms)
    wait_for_app(page, timeout_ms)


def no_exception(page: object) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def screenshot(page: object, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
