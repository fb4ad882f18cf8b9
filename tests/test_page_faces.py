"""AppTest: every mode of the face page, with real models, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.apptest

REPO = Path(__file__).resolve().parents[1]
ENTRY = str(REPO / "streamlit_app.py")


@pytest.fixture(autouse=True)
def _fresh(monkeypatch, tmp_path):
    st.cache_resource.clear()
    st.cache_data.clear()
    monkeypatch.setenv("CNNAPPS_FACE_DB", str(tmp_path / "faces.sqlite3"))
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # see tests/test_faces_pipeline.py
    yield
    torch.set_num_threads(before)


def _page(mode: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=180).run()
    at.switch_page("pages/faces.py").run()
    at.segmented_control(key="faces_mode").set_value(mode).run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [*at.markdown, *at.caption, *at.subheader, *at.success, *at.error, *at.info, *at.warning]
    return " ".join(str(p.value) for p in parts)


def test_detect_counts_faces_and_rejects_a_broken_upload():
    at = _page("Detect")
    at.selectbox(key="faces_detect_sample").set_value("Obama (left) and Biden (right)").run()
    assert "2 faces found" in _text(at)
    assert "MS-Celeb-1M" not in _text(at)  # the caveat belongs to the embedding models
    at.segmented_control(key="faces_detect_source").set_value("upload").run()
    at.file_uploader(key="faces_detect_upload").set_value(("broken.jpg", b"garbage", "image/jpeg")).run()
    assert not at.exception and "not an image we can read" in _text(at)


def test_verify_same_then_different():
    at = _page("Verify")
    assert "Same person" in _text(at) and "MS-Celeb-1M" in _text(at)  # obama1 vs obama2, caveat shown
    at.selectbox(key="faces_verify_b_sample").set_value("Joe Biden, close-up").run()
    assert "Different people" in _text(at)
    at.selectbox(key="faces_verify_b_sample").set_value("Obama (left) and Biden (right)").run()
    assert at.selectbox(key="faces_verify_b_face")  # two faces: the user picks one
    assert not at.exception


def test_identify_with_the_demo_gallery_and_a_bad_import():
    at = _page("Identify")
    at.button(key="faces_demo_gallery").click().run()
    assert "4 people, 4 faces" in _text(at)
    at.selectbox(key="faces_identify_sample").set_value("Obama (left) and Biden (right)").run()
    table = at.dataframe[0].value
    assert sorted(table["name"]) == ["Barack Obama", "Joe Biden"]
    at.file_uploader(key="faces_import").set_value(("g.json", b"{not json", "application/json")).run()
    assert "not a face gallery" in _text(at) and "4 people, 4 faces" in _text(at)  # nothing lost
    assert not at.exception


def test_cluster_groups_the_bundled_photos_and_enrols_a_group():
    at = _page("Cluster")
    assert "11 face(s) of 4 people" in _text(at)
    at.text_input(key="faces_group_0").set_value("Kit").run()
    at.button(key="faces_enrol_0").click().run()
    at.segmented_control(key="faces_mode").set_value("Identify").run()
    assert "1 people, 3 faces" in _text(at)


def test_anonymise_pixelates():
    at = _page("Anonymise")
    at.radio(key="faces_anon_method").set_value("pixelate").run()
    assert "1 face(s) pixelated" in _text(at) and not at.exception


def test_anonymise_a_video_with_progress():
    from tests.test_faces_video import _clip

    clip, _ = _clip(4)
    at = _page("Anonymise")
    at.segmented_control(key="faces_anon_kind").set_value("video").run()
    at.file_uploader(key="faces_anon_video_upload").set_value(("clip.mp4", clip, "video/mp4")).run()
    at.button[0].click().run()  # "Anonymise the video"
    assert not at.exception, at.exception
    assert "4 frames, faces blurred" in _text(at)
    at.file_uploader(key="faces_anon_video_upload").set_value(("bad.mp4", b"nope", "video/mp4")).run()
    at.button[0].click().run()
    assert not at.exception and at.error  # a clear message, the page goes on


def test_saved_gallery_round_trip_and_wrong_passphrase():
    at = _page("Identify")
    at.button(key="faces_demo_gallery").click().run()
    at.text_input(key="faces_store_name").set_value("family")
    at.text_input(key="faces_store_phrase").set_value("correct horse")
    at.button(key="FormSubmitter:faces_store-Save").click().run()
    assert "Saved 4 face(s) in 'family'" in _text(at)
    # A fresh session (another user): the wrong passphrase reads nothing, the right one opens it.
    other = _page("Identify")
    other.text_input(key="faces_store_name").set_value("family")
    other.text_input(key="faces_store_phrase").set_value("wrong horse")
    other.button(key="FormSubmitter:faces_store-Open").click().run()
    assert "Wrong gallery name or passphrase" in _text(other) and "0 people" in _text(other)
    other.text_input(key="faces_store_name").set_value("family")
    other.text_input(key="faces_store_phrase").set_value("correct horse")
    other.button(key="FormSubmitter:faces_store-Open").click().run()
    assert "4 people, 4 faces" in _text(other) and not other.exception


def test_saved_galleries_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("CNNAPPS_FACE_PERSISTENCE", "off")
    at = _page("Identify")
    assert "Switched off on this server" in _text(at) and "switched off" in _text(at)
