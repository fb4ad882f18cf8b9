"""AppTest of the detection page: a sample photo, a batch, a video, bad inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnapps.samples import sample_bytes, sample_path

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("fresh_streamlit_caches")]

ENTRY = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")



def _page() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=180).run()
    at.switch_page("pages/detect.py").run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(s.value for s in at.subheader)


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def test_sample_photo_then_thresholds_and_batch() -> None:
    at = _page()  # default: the bundled darknet dog photo with Yolo-Fastest 1.1-XL
    summary = at.subheader[0].value
    assert "dog" in summary and "bicycle" in summary and "car" in summary
    assert "forward pass" in _text(at)
    table = at.dataframe[0].value
    assert {"class", "score", "x1", "y1", "x2", "y2"} <= set(table.columns)
    # thresholds are applied after inference: a high threshold hides the weaker boxes
    at.slider(key="detect_conf").set_value(0.85).run()
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["class"]) <= {"bicycle", "car"}
    at.multiselect(key="detect_classes").set_value(["car"]).run()
    assert list(at.dataframe[0].value["class"]) == ["car"]

    # batch: two photos and a broken one -> one table with an error row, no exception
    at.multiselect(key="detect_classes").set_value([]).run()
    at.segmented_control(key="detect_photos_source").set_value("upload").run()
    at.file_uploader(key="detect_photos_upload").set_value([
        ("dog.jpg", sample_bytes("dog"), "image/jpeg"),
        ("pets.jpg", sample_bytes("pets"), "image/jpeg"),
        ("broken.png", b"\x89PNG\r\n\x1a\n broken", "image/png"),
    ]).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "3 photos"
    rows = at.dataframe[0].value
    assert set(rows["file"]) == {"dog.jpg", "pets.jpg", "broken.png"}
    assert rows[rows["file"] == "broken.png"]["error"].iloc[0]
    assert (rows[rows["file"] == "pets.jpg"]["class"] == "dog").sum() == 2


def test_bad_photo_shows_error_and_page_keeps_working() -> None:
    at = _page()
    at.segmented_control(key="detect_photos_source").set_value("upload").run()
    at.file_uploader(key="detect_photos_upload").set_value([("empty.jpg", b"", "image/jpeg")]).run()
    assert not at.exception, at.exception
    assert _errors(at)
    at.file_uploader(key="detect_photos_upload").set_value(
        [("eagle.jpg", sample_bytes("eagle"), "image/jpeg")]).run()
    assert not at.exception and "bird" in at.subheader[0].value


def test_video_and_bad_video() -> None:
    from cnnapps.video import encode_mp4

    frame = np.asarray(Image.open(sample_path("dog")).convert("RGB").resize((256, 192)))
    clip = encode_mp4([np.roll(frame, 3 * i, axis=1) for i in range(12)], fps=12)
    at = _page()
    at.radio(key="detect_mode").set_value("Video").run()
    assert not at.exception, at.exception
    at.file_uploader(key="detect_video_upload").set_value([("clip.mp4", b"\x00" * 100, "video/mp4")]).run()
    assert not at.exception, at.exception
    assert "video" in _errors(at).lower()
    at.file_uploader(key="detect_video_upload").set_value([("clip.mp4", clip, "video/mp4")]).run()
    at.slider(key="detect_frames").set_value(10).run()
    [b for b in at.button if "Detect in video" in b.label][0].click().run()
    assert not at.exception, at.exception
    text = _text(at)
    assert "10 frames" in text and "frames/s" in text and "frame limit" in text
    assert not _errors(at)
