"""AppTest: the entry script and every page run; the classify page works end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnapps.samples import sample_bytes

pytestmark = [pytest.mark.apptest, pytest.mark.usefixtures("fresh_streamlit_caches")]

REPO = Path(__file__).resolve().parents[1]
ENTRY = str(REPO / "streamlit_app.py")
PAGES = sorted(str(p.relative_to(REPO)) for p in (REPO / "pages").glob("*.py"))
TIMEOUT = 180  # model loading on 2 CPU cores; AppTest's 3 s default is far too short



def _app() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    return at


def test_entry_script_renders_home_and_sidebar() -> None:
    at = _app()
    assert "cnnapps" in at.title[0].value
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "Device:" in sidebar and "CPU" in sidebar
    assert "offline" in sidebar  # CNNAPPS_OFFLINE=1 in the tests


def test_sidebar_stays_when_a_page_stops_early() -> None:
    """Draw a digit with nothing drawn ends with st.stop(); after that Streamlit runs no more
    st.* calls, so a sidebar drawn only after the page would vanish."""
    at = _app()
    at.switch_page("pages/digits.py").run()
    assert not at.exception, at.exception
    assert any("Draw one digit" in m.value for m in at.info)  # the page did stop early
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "Device:" in sidebar and "Model hub" in sidebar


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page: str) -> None:
    at = _app()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title, f"{page} shows no title"


def _classify_page() -> AppTest:
    at = _app()
    at.switch_page("pages/classify.py").run()
    assert not at.exception, at.exception
    return at


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def test_sample_photo_shows_top1() -> None:
    at = _classify_page()  # the default source is the bundled sample gallery (a cat)
    assert at.subheader[0].value in {"Egyptian cat", "tabby", "tiger cat"}
    at.selectbox(key="classify_sample").set_value("A cup of espresso on a wooden table").run()
    assert at.subheader[0].value == "espresso"


def _upload(at: AppTest, files: list[tuple[str, bytes, str]]) -> AppTest:
    at.segmented_control(key="classify_source").set_value("upload").run()
    at.file_uploader(key="classify_upload").set_value(files).run()
    assert not at.exception, at.exception
    return at


def test_upload_real_photo_shows_top1() -> None:
    at = _upload(_classify_page(), [("parrot.jpg", sample_bytes("parrot"), "image/jpeg")])
    assert at.subheader[0].value == "macaw"
    assert "forward pass" in " ".join(m.value for m in at.markdown)


def test_corrupt_upload_shows_error_panel_and_page_keeps_working() -> None:
    at = _upload(_classify_page(), [("broken.jpg", b"\xff\xd8\xff\xe0 a cut-off jpeg", "image/jpeg")])
    assert "broken.jpg" in _errors(at) and "damaged or incomplete" in _errors(at)
    at.segmented_control(key="classify_source").set_value("sample").run()
    assert not at.exception and at.subheader[0].value in {"Egyptian cat", "tabby", "tiger cat"}


def test_empty_upload_shows_error_panel() -> None:
    at = _upload(_classify_page(), [("empty.png", b"", "image/png")])
    assert "empty" in _errors(at)


def test_many_files_give_a_table_and_csv() -> None:
    files = [("coffee.jpg", sample_bytes("coffee"), "image/jpeg"),
             ("parrot.jpg", sample_bytes("parrot"), "image/jpeg"),
             ("junk.png", b"junk", "image/png")]
    at = _upload(_classify_page(), files)
    table = at.dataframe[0].value
    assert list(table["file"]) == ["coffee.jpg", "parrot.jpg", "junk.png"]
    assert list(table["top-1"][:2]) == ["espresso", "macaw"]
    assert "not an image" in table["error"][2]
    assert at.get("download_button"), "the CSV download button is missing"


def test_download_model_offline_shows_message_not_exception() -> None:
    at = _classify_page()
    at.selectbox(key="classify_model").set_value("resnet50").run()
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "ResNet-50" in warning and "resnet50-11ad3fa6.pth" in warning
    assert "MobileNetV2" in warning  # points at the model that works offline
    at.selectbox(key="classify_model").set_value("mobilenet_v2_tflite").run()
    assert at.subheader[0].value in {"Egyptian cat", "tabby", "tiger cat"}


def _encoded(image: object, fmt: str) -> bytes:
    import io

    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


def _odd_images() -> list[tuple[str, bytes, str]]:
    import numpy as np
    from PIL import Image

    from cnnapps.images import load_image

    photo = load_image(sample_bytes("coffee"))
    gray16 = (np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    rgba = photo.convert("RGBA")
    return [
        ("gray16.png", _encoded(Image.fromarray(gray16), "PNG"), "image/png"),
        ("cmyk.jpg", _encoded(photo.convert("CMYK"), "JPEG"), "image/jpeg"),
        ("rgba.png", _encoded(rgba, "PNG"), "image/png"),
        ("palette.gif", _encoded(photo.convert("P"), "GIF"), "image/gif"),
    ]


@pytest.mark.parametrize("upload", _odd_images(), ids=lambda u: u[0])
def test_unusual_image_modes_are_classified(upload: tuple[str, bytes, str]) -> None:
    at = _upload(_classify_page(), [upload])
    assert not at.error, _errors(at)
    # Colour conversions keep the photo recognisable (16-bit grey loses colour, so any label).
    assert at.subheader[0].value == "espresso" or upload[0] == "gray16.png"


def test_decompression_bomb_upload_is_refused() -> None:
    from PIL import Image

    bomb = _encoded(Image.new("1", (9000, 5000)), "PNG")  # 45 MP of black: tiny file, huge image
    at = _upload(_classify_page(), [("bomb.png", bomb, "image/png")])
    assert "megapixels" in _errors(at)


def test_display_settings_do_not_reclassify(monkeypatch: pytest.MonkeyPatch) -> None:
    import cnnapps.ui.loaders as loaders

    calls: list[bool] = []
    real = loaders.classify

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(loaders, "classify", counting)
    at = _classify_page()
    assert len(calls) == 1
    at.slider(key="classify_alpha").set_value(0.8).run()
    assert not at.exception and len(calls) == 1  # the overlay is redrawn from the cached result
    at.slider(key="classify_topk").set_value(3).run()
    assert len(calls) == 1 and len(at.dataframe[0].value) == 3  # top-k slices the cached top-10


def test_uploads_survive_switching_the_source_back_and_forth() -> None:
    at = _upload(_classify_page(), [("parrot.jpg", sample_bytes("parrot"), "image/jpeg")])
    assert at.subheader[0].value == "macaw"
    at.segmented_control(key="classify_source").set_value("sample").run()
    assert at.subheader[0].value in {"Egyptian cat", "tabby", "tiger cat"}
    at.segmented_control(key="classify_source").set_value("upload").run()
    assert not at.exception and at.subheader[0].value == "macaw"  # the upload is still there
    assert "earlier upload" in " ".join(c.value for c in at.caption)
    at.button(key="classify_clear").click().run()
    assert not at.exception and not at.subheader  # cleared: back to the hint


def test_the_same_file_twice_is_processed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import cnnapps.ui.loaders as loaders

    calls: list[bool] = []
    real = loaders.classify
    monkeypatch.setattr(loaders, "classify", lambda *a, **k: calls.append(True) or real(*a, **k))
    files = [("coffee.jpg", sample_bytes("coffee"), "image/jpeg"),
             ("copy of coffee.jpg", sample_bytes("coffee"), "image/jpeg"),
             ("parrot.jpg", sample_bytes("parrot"), "image/jpeg")]
    at = _classify_page()
    calls.clear()
    at = _upload(at, files)
    table = at.dataframe[0].value
    assert list(table["file"]) == ["coffee.jpg", "parrot.jpg"]
    assert "duplicate" in " ".join(c.value for c in at.caption)
    assert len(calls) == 2


def test_offline_the_picker_marks_download_models_unavailable() -> None:
    at = _classify_page()
    options = at.selectbox(key="classify_model").options
    assert any(o.startswith("MobileNetV2") and "unavailable" not in o for o in options)
    assert any(o.startswith("ResNet-50") and o.endswith("unavailable offline") for o in options)
