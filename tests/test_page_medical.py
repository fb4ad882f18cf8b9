"""AppTest for pages/medical.py: DICOM samples, series, windows, bad uploads; the chest X-ray view."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.apptest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture
def at(monkeypatch):
    monkeypatch.setenv("CNNAPPS_OFFLINE", "1")
    st.cache_resource.clear()
    st.cache_data.clear()
    app = AppTest.from_file(APP, default_timeout=180).run()
    app.switch_page("pages/medical.py").run()
    assert not app.exception, app.exception
    return app


def _texts(app) -> str:
    parts = [m.value for m in app.markdown] + [s.value for s in app.subheader] + [c.value for c in app.caption]
    parts += [w.value for w in app.warning] + [i.value for i in app.info] + [e.value for e in app.error]
    return "\n".join(str(p) for p in parts)


def _upload(app, name: str, data: bytes, mime: str = "application/octet-stream"):
    prefix = "xray" if app.session_state["med_mode"] == "Chest X-ray" else "dicom"
    app.segmented_control(key=f"{prefix}_src").set_value("Upload").run()
    app.file_uploader(key=f"{prefix}_upload").set_value((name, data, mime)).run()
    return app


def test_dicom_samples_render_with_metadata_masked(at):
    assert not at.error
    text = _texts(at)
    assert "RG1_UNCI.dcm" in text and "MONOCHROME1" in text
    table = at.dataframe[0].value
    assert (table.loc[table["name"] == "Patient's Name", "value"] == "•••").all()
    at.toggle(key="dicom_reveal").set_value(True).run()
    table = at.dataframe[0].value
    assert not (table.loc[table["name"] == "Patient's Name", "value"] == "•••").any()
    # a CT sample with a preset window
    at.selectbox(key="dicom_sample").select_index(2).run()  # CT_small
    at.selectbox(key="dicom_window").set_value("lung").run()
    assert not at.exception and not at.error


def test_series_sample_is_sorted_and_shows_three_planes(at):
    box = at.selectbox(key="dicom_sample")
    series = next(o for o in box.options if "series" in o)
    box.set_value(series).run()
    assert not at.exception
    text = _texts(at)
    assert "Series of 5 slices" in text and "sorted along the slice normal" in text
    at.slider(key="dicom_slice").set_value(1).run()
    assert not at.exception and not at.error


def test_manual_window(at):
    at.selectbox(key="dicom_window").set_value("manual").run()
    at.number_input(key="dicom_width").set_value(500.0).run()
    assert not at.exception and not at.error


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("photo.dcm", b"\xff\xd8\xff\xe0" + b"JFIF" * 100, "not a DICOM file"),
    ("empty.dcm", b"", "empty"),
    ("broken.zip", b"PK\x03\x04garbage", "ZIP"),
])
def test_bad_dicom_uploads_show_a_message(at, name, data, expected):
    _upload(at, name, data)
    assert not at.exception
    assert any(expected in e.value for e in at.error), [e.value for e in at.error]


def test_truncated_dicom_upload(at):
    from pydicom.data import get_testdata_file

    data = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    _upload(at, "cut.dcm", data[: len(data) // 2])
    assert not at.exception and any("truncated" in e.value for e in at.error)


def test_chest_xray_sample_and_jpeg_upload(at):
    at.segmented_control(key="med_mode").set_value("Chest X-ray").run()
    assert not at.exception
    assert at.subheader and "P(pneumonia)" in at.subheader[0].value
    # a colour photo uploaded as a radiograph: warned, not a confident answer
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (200, 240, 3), dtype=np.uint8)).save(buf, format="JPEG")
    _upload(at, "holiday.jpg", buf.getvalue(), "image/jpeg")
    assert not at.exception
    assert any("colour" in w.value for w in at.warning)
    assert "not meaningful" in _texts(at)


def test_chest_xray_bad_upload(at):
    at.segmented_control(key="med_mode").set_value("Chest X-ray").run()
    _upload(at, "scan.png", b"\x89PNG\r\n\x1a\n broken", "image/png")
    assert not at.exception and at.error
