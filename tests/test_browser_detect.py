"""Real browser: the detection page finds the dog in an uploaded photo and annotates a video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from browser_support import ARTIFACTS, REPO, click_and_wait, no_exception, require_browser, wait_for_app
from PIL import Image

pytestmark = pytest.mark.browser
require_browser()

from playwright import sync_api as playwright_api  # noqa: E402


def test_upload_photo_sees_dog(new_page: object, server: str) -> None:
    page = new_page
    page.goto(f"{server}/detect")
    wait_for_app(page)
    playwright_api.expect(page.locator("h1").first).to_contain_text("Detect objects", timeout=60_000)
    click_and_wait(page, page.get_by_text("Upload", exact=True), shows=page.locator("[data-testid='stFileUploaderDropzoneInput']"))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        str(REPO / "cnnapps" / "assets" / "dog.jpg"))
    heading = page.get_by_role("heading").filter(has_text="dog")
    playwright_api.expect(heading).to_be_visible(timeout=120_000)
    playwright_api.expect(heading).to_contain_text("bicycle")
    wait_for_app(page)
    no_exception(page)
    # the grid explanation opens and shows its two grids
    page.get_by_text("How a one-stage detector sees the photo").click()
    playwright_api.expect(page.get_by_text("10×10 grid (a cell")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    page.screenshot(path=str(ARTIFACTS / "detect_photo.png"), full_page=True)


def test_video_gives_annotated_result(new_page: object, server: str, tmp_path: Path) -> None:
    from cnnapps.video import encode_mp4

    frame = np.asarray(Image.open(REPO / "cnnapps" / "assets" / "dog.jpg").convert("RGB").resize((320, 240)))
    clip = tmp_path / "dog_clip.mp4"
    clip.write_bytes(encode_mp4([np.roll(frame, 4 * i, axis=1) for i in range(20)], fps=10))
    page = new_page
    page.goto(f"{server}/detect")
    wait_for_app(page)
    click_and_wait(page, page.get_by_text("Video", exact=True), shows=page.locator("[data-testid='stFileUploaderDropzoneInput']"))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(clip))
    button = page.get_by_role("button", name="Detect in video")
    playwright_api.expect(button).to_be_visible(timeout=60_000)
    button.click()
    playwright_api.expect(page.get_by_text("frames/s")).to_be_visible(timeout=180_000)
    video = page.locator("video").first
    playwright_api.expect(video).to_be_visible()
    wait_for_app(page)
    # the browser really decodes our H.264: the element reports a duration and a frame size
    page.wait_for_function("() => { const v = document.querySelector('video'); "
                           "return v && v.readyState >= 1 && v.videoWidth > 0; }", timeout=60_000)
    assert page.evaluate("document.querySelector('video').videoWidth") == 320
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "detect_video.png"), full_page=True)


@pytest.mark.xfail(reason="the WebRTC stream connects and plays, but on the 2-core test machine "
                   "(load 15-25) the server's frame callback is still inside its first forward pass after "
                   "60-150 s (py-spy: active in Conv2d, no deadlock): torch's 2 intra-op threads "
                   "starve beside the WebRTC encoder and other jobs, so no annotated frame comes back "
                   "within the test", strict=False)
def test_live_camera_stream_with_fake_camera(new_page: object, server: str) -> None:
    """Chromium's fake camera (--use-fake-device-for-media-stream) through streamlit-webrtc."""
    pytest.importorskip("streamlit_webrtc", reason="streamlit-webrtc not installed")
    page = new_page
    page.goto(f"{server}/detect")
    wait_for_app(page)
    page.get_by_text("Live camera", exact=True).click()
    wait_for_app(page)
    frame = page.frame_locator("iframe[title*='streamlit_webrtc']").first
    start = frame.get_by_role("button", name="START")
    playwright_api.expect(start).to_be_visible(timeout=60_000)
    start.click()
    playwright_api.expect(frame.get_by_role("button", name="STOP")).to_be_visible(timeout=60_000)
    # the annotated stream comes back from the server and plays: the video element gets frames
    frame.locator("video").first.wait_for(timeout=60_000)
    handle = page.frame_locator("iframe[title*='streamlit_webrtc']").first.locator("video").first
    handle.evaluate("v => new Promise((ok, fail) => { const t = setTimeout(() => fail('no frames'), 90000);"
                    " const check = () => (v.videoWidth > 0 && v.currentTime > 0) ? (clearTimeout(t), ok())"
                    " : setTimeout(check, 500); check(); })")
    assert handle.evaluate("v => v.videoWidth") > 0
    # Proof that frames went through the detector on the server: it draws a black heads-up label
    # in the top-left corner, where Chromium's fake camera paints a bright green square.
    handle.evaluate("v => new Promise((ok, fail) => { const t = setTimeout(() => fail('no HUD'), 30000);"
                    " const c = document.createElement('canvas'); c.width = 8; c.height = 8;"
                    " const check = () => { const g = c.getContext('2d');"
                    " g.drawImage(v, 0, 0, 8, 8, 0, 0, 8, 8); const p = g.getImageData(2, 2, 1, 1).data;"
                    " (p[1] < 60) ? (clearTimeout(t), ok()) : setTimeout(check, 500); }; check(); })")
    page.wait_for_timeout(1000)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "detect_live.png"), full_page=True)
