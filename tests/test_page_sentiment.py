"""AppTest for pages/sentiment.py: one sentence, batch paste and upload, bad inputs, model choice.

Runs the real bundled models (offline). CNNAPPS_OFFLINE keeps the sidebar's hub check off the
network.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnapps.registry import list_models
from cnnapps.weights import BUNDLED_DIR

_MISSING = [s.name for s in list_models("sentiment") if not (BUNDLED_DIR / s.weights["model"].filename).is_file()]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"bundled weights not trained yet: {_MISSING}")

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256))


@pytest.fixture
def at(monkeypatch):
    monkeypatch.setenv("CNNAPPS_OFFLINE", "1")
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("pages/sentiment.py").run()
    assert not app.exception, app.exception
    return app


def _text(app) -> str:
    parts = [m.value for m in app.markdown] + [s.value for s in app.subheader]
    parts += [w.value for w in app.warning] + [i.value for i in app.info] + [e.value for e in app.error]
    return "\n".join(str(p) for p in parts)


def test_single_sentence_live_result_with_explanation(at):
    assert at.subheader[0].value.startswith("positive")  # the default sentence
    at.text_area(key="sentiment_text").set_value("the plot is nothing but boilerplate clichés").run()
    assert not at.exception
    assert at.subheader[0].value.startswith("negative")
    assert "Which words drove the decision" in _text(at)
    assert len(at.table) >= 1  # top phrases per class, in tables that wrap rather than cut
    bar = [h.proto.body for h in at.get("html") if "aria-label" in h.proto.body][0]
    assert "rgb(213,94,0)" in bar and "rgb(0,114,178)" in bar  # the legend's two colours


def test_highlights_show_the_users_own_words(at):
    at.text_area(key="sentiment_text").set_value("I didn't like it at all").run()
    highlights = [h.proto.body for h in at.get("html") if "title=" in h.proto.body][0]
    assert "didn&#x27;t</span>" in highlights and "n&#x27;t</span>" not in highlights.replace("didn&#x27;t", "")


def test_chinese_sentence_with_full_width_comma_is_not_read_as_words(at):
    at.text_area(key="sentiment_text").set_value("我非常喜欢这部电影，真的！").run()
    assert not at.exception
    assert any("no words it can read" in w.value and "punctuation alone" in w.value for w in at.warning)
    assert not at.subheader  # no "positive 57.9 %"


def test_empty_text_gives_a_hint_not_an_error(at):
    at.text_area(key="sentiment_text").set_value("   ").run()
    assert not at.exception and not at.error
    assert "Type or paste a sentence" in at.info[0].value


def test_only_unknown_words_warns(at):
    at.text_area(key="sentiment_text").set_value("qwzx vbnmq plokij").run()
    assert not at.exception
    assert any("vocabulary" in w.value for w in at.warning)


@pytest.mark.parametrize("text", ["😀🎉🍿", "Это был отличный фильм", "这部电影很好看"])
def test_emoji_and_non_latin_do_not_crash(at, text):
    at.text_area(key="sentiment_text").set_value(text).run()
    assert not at.exception and not at.error
    assert any("no words it can read" in w.value for w in at.warning)


def test_very_long_text_is_truncated_with_a_notice(at):
    at.text_area(key="sentiment_text").set_value("a wonderful film . " * 2000).run()
    assert not at.exception
    assert any("Long text" in i.value for i in at.info)
    assert at.subheader[0].value.startswith("positive")


def test_batch_paste(at):
    at.radio(key="sentiment_mode").set_value("Many sentences").run()
    assert len(at.dataframe[0].value) == 4  # the example lines give a result at once
    at.text_area(key="sentiment_lines").set_value("").run()
    assert "Paste sentences" in at.info[0].value
    lines = "a gorgeous, witty, seductive movie.\n\nthe worst movie i have seen in years.\n😀\n"
    at.text_area(key="sentiment_lines").set_value(lines).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["sentence", "label", "probability (%)", "note"]
    assert table["label"].tolist() == ["positive", "negative", table["label"][2]]
    assert table["note"].tolist()[2] == "no readable words"
    assert len(at.get("download_button")) == 1


def test_batch_upload_csv_with_chosen_column(at):
    at.radio(key="sentiment_mode").set_value("Many sentences").run()
    at.radio(key="sentiment_source").set_value("Upload CSV/TXT").run()
    csv = b"id,review,stars\n1,an absolute delight from start to finish,5\n2,dull and lifeless,1\n"
    at.file_uploader(key="sentiment_upload").set_value(("reviews.csv", csv, "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="sentiment_column").value == "review"
    table = at.dataframe[0].value
    assert table["label"].tolist() == ["positive", "negative"]
    assert list(table.columns) == ["id", "review", "stars", "label", "probability (%)", "note"]
    assert table["id"].tolist() == ["1", "2"] and table["stars"].tolist() == ["5", "1"]
    assert any("comma-separated · header row · 2 rows" in c.value for c in at.caption)
    assert len(at.table) == 1  # the preview


def _upload(at, name: str, data: bytes):
    at.radio(key="sentiment_mode").set_value("Many sentences").run()
    at.radio(key="sentiment_source").set_value("Upload CSV/TXT").run()
    at.file_uploader(key="sentiment_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception and not at.error
    return at.dataframe[0].value


@pytest.mark.parametrize(
    ("data", "rows", "columns"),
    [
        (b"a gorgeous movie\nawful and dull\nfine, i guess\n", 3, ["text"]),  # header-less, stray comma
        (b"text\ngreat film, loved it\nbad, boring, far too long\n", 2, ["text"]),  # unquoted commas
        ("review\n“Brilliant” – a must\nclichés… galore\nnaïve but sweet\n".encode("cp1252"), 3, ["review"]),
        ("id,text,stars\n1,très bien,5\n2,awful,1\n".encode("utf-16"), 2, ["id", "text", "stars"]),
    ],
    ids=["headerless", "unquoted-commas", "cp1252", "utf16-bom"],
)
def test_every_csv_case_keeps_rows_and_columns(at, data, rows, columns):
    table = _upload(at, "reviews.csv", data)
    assert len(table) == rows
    assert list(table.columns) == [*columns, "label", "probability (%)", "note"]


def test_header_checkbox_rereads_the_file(at):
    table = _upload(at, "x.csv", b"text\ngood\nbad\n")
    assert len(table) == 2
    box = [c for c in at.checkbox if c.key.startswith("sentiment_header")][0]
    box.uncheck().run()
    assert len(at.dataframe[0].value) == 3  # "text" is now a row


def test_batch_upload_txt(at):
    at.radio(key="sentiment_mode").set_value("Many sentences").run()
    at.radio(key="sentiment_source").set_value("Upload CSV/TXT").run()
    txt = b"a wonderful, moving film\nboring, tedious mess\n"
    at.file_uploader(key="sentiment_upload").set_value(("lines.txt", txt, "text/plain")).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 2


def test_binary_file_uploaded_as_csv_gives_a_clear_error(at):
    at.radio(key="sentiment_mode").set_value("Many sentences").run()
    at.radio(key="sentiment_source").set_value("Upload CSV/TXT").run()
    at.file_uploader(key="sentiment_upload").set_value(("photo.csv", PNG, "text/csv")).run()
    assert not at.exception
    assert at.error and "binary" in at.error[0].value


def test_mr_model_can_be_chosen(at):
    at.selectbox(key="sentiment_model").set_value("textcnn_mr").run()
    assert not at.exception
    at.text_area(key="sentiment_text").set_value("a boring, tedious mess with terrible acting.").run()
    assert at.subheader[0].value.startswith("negative")
