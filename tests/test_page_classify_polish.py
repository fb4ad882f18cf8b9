"""AppTest for issue 13's classify-page additions: "not sure" hint and class search, steady forward
time, batch grid with a ZIP of overlays and per-file details."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnapps.samples import sample_bytes
from cnnapps.ui.classify_views import matching_labels

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("fresh_streamlit_caches")]

ENTRY = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")



def _png(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (224, 224), color).save(buf, format="PNG")
    return buf.getvalue()


def _upload(files: list[tuple[str, bytes, str]]) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=180).run()
    at.switch_page("pages/classify.py").run()
    at.segmented_control(key="classify_source").set_value("upload").run()
    at.file_uploader(key="classify_upload").set_value(files).run()
    assert not at.exception, at.exception
    return at


def test_matching_labels_is_case_insensitive_and_needs_every_word() -> None:
    labels = ["tabby", "tiger cat", "Egyptian cat", "tiger"]
    assert matching_labels(labels, "CAT") == ["tiger cat", "Egyptian cat"]
    assert matching_labels(labels, "tiger cat") == ["tiger cat"]
    assert matching_labels(labels, "horse") == []


def test_low_confidence_says_not_sure_and_offers_the_class_list() -> None:
    at = _upload([("grey.png", _png((128, 128, 128)), "image/png")])
    warning = " ".join(w.value for w in at.warning)
    assert "Not sure" in warning and "1,000 ImageNet classes" in warning
    box = at.text_input(key=[t.key for t in at.text_input if t.key.startswith("classify_hint_search")][0])
    box.set_value("horse").run()
    assert not at.exception
    assert any("horse" in " ".join(df.value["class"]) for df in at.dataframe if "class" in df.value)


def test_confident_photo_has_no_hint_and_a_labelled_median_time() -> None:
    at = _upload([("parrot.jpg", sample_bytes("parrot"), "image/jpeg")])
    assert not any("Not sure" in w.value for w in at.warning)
    def timing() -> str:
        return [m.value for m in at.markdown if "forward pass" in m.value][0]

    assert "(median of the last 2 passes here)" in timing()  # the default sample photo, then ours
    at.slider(key="classify_topk").set_value(3).run()  # a cached replay is not counted again
    assert "(median of the last 2 passes here)" in timing()


def test_batch_grid_zip_and_details_for_the_chosen_file() -> None:
    files = [("coffee.jpg", sample_bytes("coffee"), "image/jpeg"),
             ("parrot.jpg", sample_bytes("parrot"), "image/jpeg"),
             ("junk.png", b"junk", "image/png")]
    at = _upload(files)
    captions = " ".join(c.value for c in at.caption)
    assert "**coffee.jpg**" in captions and "espresso ·" in captions and "error:" in captions
    assert len(at.get("image")) >= 2  # thumbnails
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("ZIP" in label for label in labels) and any("CSV" in label for label in labels)
    at.selectbox(key="classify_batch_pick").set_value(1).run()
    assert not at.exception
    assert at.subheader[-1].value == "macaw"


def test_offline_model_offers_one_click_back_to_the_bundled_model() -> None:
    at = AppTest.from_file(ENTRY, default_timeout=180).run()
    at.switch_page("pages/classify.py").run()
    at.selectbox(key="classify_model").set_value("resnet50").run()
    assert not at.exception and at.warning
    button = at.button(key="classify_model_fallback")
    assert "bundled" in button.label
    button.click().run()
    assert not at.exception
    assert at.selectbox(key="classify_model").value == "mobilenet_v2_tflite"
    assert at.subheader[0].value in {"Egyptian cat", "tabby", "tiger cat"}
