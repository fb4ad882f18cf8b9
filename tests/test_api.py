"""The public API: what `import cnnapps` offers, and that importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cnnapps
from cnnapps.samples import sample_bytes, sample_path


def test_import_is_lazy_and_side_effect_free() -> None:
    code = ("import sys, cnnapps; assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'streamlit' not in sys.modules; print(len(cnnapps.__all__))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) >= 10


def test_every_public_name_resolves() -> None:
    for name in cnnapps.__all__:
        assert getattr(cnnapps, name) is not None, name
    with pytest.raises(AttributeError):
        cnnapps.no_such_thing  # noqa: B018


def test_list_models_by_task() -> None:
    names = {s.name for s in cnnapps.list_models("classification")}
    assert "mobilenet_v2_tflite" in names and "textcnn_sst2" not in names
    assert {s.task for s in cnnapps.list_models()} >= {"classification", "sentiment"}


def test_load_then_classify_path_bytes_or_pil() -> None:
    loaded = cnnapps.load("mobilenet_v2_tflite", device="cpu")
    assert isinstance(loaded, cnnapps.LoadedModel) and str(loaded.device) == "cpu"
    assert not loaded.module.training and not any(p.requires_grad for p in loaded.module.parameters())
    result = cnnapps.classify(loaded, sample_path("coffee"), top_k=3, with_cam=True)
    assert isinstance(result, cnnapps.Classification) and result.best.label == "espresso"
    assert result.heatmap is not None and len(result.rows()) == 3
    assert cnnapps.classify(loaded, sample_bytes("coffee")).best.label == "espresso"
    assert cnnapps.classify(loaded, cnnapps.load_image(sample_bytes("coffee"))).best.label == "espresso"


def test_sentiment_one_or_many() -> None:
    loaded = cnnapps.load("textcnn_sst2", device="cpu")
    one = cnnapps.sentiment(loaded, "a wonderful film")
    many = cnnapps.sentiment(loaded, ["a wonderful film", "a dreadful bore"])
    assert isinstance(one[0], cnnapps.SentimentResult) and one[0].label == "positive"
    assert [r.label for r in many] == ["positive", "negative"]
    assert many[0].model_name == "textcnn_sst2" and many[0].device == "cpu"
    explained = cnnapps.explain_sentiment(loaded, "a wonderful film")
    assert max(explained.tokens, key=lambda t: t.weight).token == "wonderful"


def test_unknown_model_and_offline_download_are_clear() -> None:
    with pytest.raises(KeyError, match="registered"):
        cnnapps.load("nope")
    with pytest.raises(cnnapps.WeightsUnavailable, match="offline"):
        cnnapps.load("resnet18")


def test_every_result_type_has_the_common_fields() -> None:
    from cnnapps.results import Result

    loaded = cnnapps.load("mobilenet_v2_tflite", device="cpu")
    text = cnnapps.load("textcnn_mr", device="cpu")
    for result in (cnnapps.classify(loaded, sample_path("cat")), cnnapps.sentiment(text, "fine")[0]):
        assert isinstance(result, Result)
        assert result.model_name and result.device == "cpu" and result.elapsed_ms >= 0
        rows = result.rows()
        assert rows and all(isinstance(v, str | int | float | bool | type(None))
                            for row in rows for v in row.values())
