"""AppTest: every section of the explorer page and the draw-a-digit page (sample and upload paths)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnapps.zoo.digits import digit_sample_bytes

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("fresh_streamlit_caches")]

REPO = Path(__file__).resolve().parents[1]
ENTRY = str(REPO / "streamlit_app.py")
TIMEOUT = 180



def _page(path: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    return " ".join(str(p) for p in parts)


def _explorer(section: str) -> AppTest:
    at = _page("pages/explorer.py")
    if section != "Layer playground":
        at.segmented_control(key="explorer_section").set_value(section).run()
        assert not at.exception, at.exception
    return at


def test_playground_convolution_formula_and_step_through() -> None:
    at = _explorer("Layer playground")
    assert "Convolution" in _text(at) and "Pooling" in _text(at)
    formula = at.latex[0].value
    assert "= 160" in formula or "= 107" in formula  # chelsea 160x107 grey, 3x3, P=1, S=1: same size
    at.number_input(key="pg_stride").set_value(2).run()
    at.number_input(key="pg_padding").set_value(0).run()
    w = int(at.latex[0].value.rsplit("=", 1)[1].strip(" $\n"))
    assert w == (160 - 3) // 2 + 1
    assert "Sum of the products" in _text(at)
    # A typed kernel that is not square gives a clear message, not a traceback.
    at.selectbox(key="pg_preset").set_value("typed numbers").run()
    at.text_area(key="pg_kernel_text").set_value("1 2 3\n4 5").run()
    assert not at.exception and "square" in " ".join(e.value for e in at.error)
    # A kernel wider than the padded image: clear message.
    at.text_area(key="pg_kernel_text").set_value("1 1 1\n1 1 1\n1 1 1").run()
    at.number_input(key="pg_dilation").set_value(5).run()
    at.number_input(key="pg_padding").set_value(0).run()
    assert not at.exception


def test_playground_softmax_bad_logits() -> None:
    at = _explorer("Layer playground")
    at.text_input(key="sm_logits").set_value("1, two, 3").run()
    assert not at.exception and "numbers" in " ".join(e.value for e in at.error)
    at.text_input(key="sm_logits").set_value("3, 1, 0").run()
    at.slider(key="sm_temperature").set_value(0.1).run()
    assert not at.exception and not at.error


def test_architecture_section_shows_exact_counts() -> None:
    at = _explorer("Architectures")
    assert "11,689,512" in [m.value for m in at.metric]
    at.selectbox(key="arch_name").set_value("lenet5").run()
    assert not at.exception
    assert "60,850" in [m.value for m in at.metric] and "1998" in _text(at)


def test_inside_section_feature_maps_on_bundled_and_random_models() -> None:
    at = _explorer("Inside a model")
    assert not at.warning  # MobileNetV2 is bundled: trained weights
    assert "maps of" in _text(at) and "Receptive field" in _text(at)
    at.selectbox(key="inside_model").set_value("resnet18").run()  # not downloaded in tests
    assert not at.exception
    assert "random weights" in " ".join(w.value for w in at.warning)


def test_inside_section_bad_upload_is_a_message() -> None:
    at = _explorer("Inside a model")
    at.selectbox(key="inside_img").set_value("upload my own").run()
    at.file_uploader(key="inside_upload").set_value(("bad.png", b"not an image", "image/png")).run()
    assert not at.exception and at.error


def test_compare_section_lists_every_architecture() -> None:
    at = _explorer("Compare")
    df = at.dataframe[0].value
    assert list(df["parameters"]) == [60_850, 61_100_840, 138_357_544, 11_689_512, 25_557_032, 3_489_097]


def test_digits_page_reads_bundled_samples() -> None:
    at = _page("pages/digits.py")
    assert "Draw one digit" in " ".join(i.value for i in at.info)  # empty canvas: a hint
    at.segmented_control(key="digit_source").set_value("Sample").run()
    for d in (3, 7):
        at.selectbox(key="digit_sample").set_value(f"mnist_{d}").run()
        assert not at.exception
        assert f"## {d}" in [m.value for m in at.markdown]
    at.selectbox(key="digit_sample").set_value("photo_4").run()
    assert "## 4" in [m.value for m in at.markdown]
    captions = [c for image in at.get("image") for c in image.captions]
    assert "c3: 16 maps of 10 x 10" in captions and "what LeNet-5 sees (28 x 28)" in captions


def test_digits_page_upload_blank_and_corrupt() -> None:
    at = _page("pages/digits.py")
    at.segmented_control(key="digit_source").set_value("Upload").run()
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buf, format="PNG")
    at.file_uploader(key="digit_upload").set_value(("blank.png", buf.getvalue(), "image/png")).run()
    assert not at.exception and "No digit" in " ".join(e.value for e in at.error)
    at.file_uploader(key="digit_upload").set_value(("x.png", b"garbage", "image/png")).run()
    assert not at.exception and at.error
    at.file_uploader(key="digit_upload").set_value(("two.jpg", digit_sample_bytes("photo_2"), "image/jpeg")).run()
    assert "## 2" in [m.value for m in at.markdown]
