"""cnnapps.accel for the text CNNs: ONNX Runtime gives the eager model's logits for every batch
and sentence length, and explanations, hooks and gradients still run the PyTorch layers."""

from __future__ import annotations

import pytest
import torch

import cnnapps
from cnnapps.accel import AcceleratedTextCNN, accelerated_text_cnn
from cnnapps.loaded import LoadedModel, load_module
from cnnapps.models.text_cnn import TextCNN
from cnnapps.registry import get_spec
from cnnapps.tasks.sentiment import explain, predict_batch
from cnnapps.text.tokenize import tokenize
from cnnapps.text.vocab import pad_batch

pytest.importorskip("onnxruntime")

TEXTS = ["a gorgeous, witty, seductive movie.", "dull", "", "it is not good , it is not bad either",
         "too long, too loud and too pleased with itself, this sequel squanders a fine cast on a "
         "story that nobody asked for and nobody will remember. " * 3]


@pytest.fixture(scope="module", params=["textcnn_sst2", "textcnn_mr"])
def pair(request) -> tuple[LoadedModel, LoadedModel]:
    spec = get_spec(request.param)
    eager = LoadedModel(spec=spec, module=load_module(spec).requires_grad_(False), device=torch.device("cpu"))
    fast = cnnapps.load(spec.name, device="cpu")
    assert isinstance(fast.module, AcceleratedTextCNN) and fast.module.mechanism == "onnxruntime"
    return eager, fast


def _ids(model: TextCNN, texts: list[str]) -> torch.Tensor:
    return pad_batch([model.vocab.encode(tokenize(t)[: model.max_length]) for t in texts],
                     min_length=model.min_length)


def test_same_logits_for_mixed_lengths_and_batch_sizes(pair) -> None:
    eager, fast = pair
    for texts in (TEXTS, TEXTS[:1], TEXTS[1:2] * 300):  # padding inside a batch, batch of 1, a big batch
        x = _ids(eager.module, texts)
        with torch.inference_mode():
            ref, out = eager.module(x), fast.module(x)
        assert out.shape == ref.shape
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_predictions_and_explanations_match_eager(pair) -> None:
    eager, fast = pair
    for a, b in zip(predict_batch(eager, TEXTS), predict_batch(fast, TEXTS), strict=True):
        assert a.label == b.label and a.tokens == b.tokens
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-5)
    ea, eb = explain(eager, TEXTS[3]), explain(fast, TEXTS[3])  # explain() runs the eager layers
    assert ea.result.probabilities == pytest.approx(eb.result.probabilities, abs=1e-6)
    assert [t.weight for t in ea.tokens] == pytest.approx([t.weight for t in eb.tokens], abs=1e-6)


def test_hooks_and_gradients_run_the_pytorch_layers(pair) -> None:
    _, fast = pair
    x = _ids(fast.module, TEXTS[:2])
    seen: list[tuple[int, ...]] = []
    handle = fast.module.convs[0].register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    try:
        with torch.inference_mode():
            fast.module(x)
    finally:
        handle.remove()
    assert seen, "a hooked model must run the eager layers, or the hook never fires"
    with torch.enable_grad():
        assert fast.module(x).requires_grad is False  # frozen weights, but the graph path ran
    seen.clear()
    with torch.inference_mode():
        fast.module(x)
    assert not seen  # hook removed: back on ONNX Runtime, nothing fires


def test_eager_when_forced_or_not_a_text_cnn(monkeypatch) -> None:
    spec = get_spec("textcnn_sst2")
    monkeypatch.setenv("CNNAPPS_ACCEL", "eager")
    model = load_module(spec)
    assert accelerated_text_cnn(model) is model
    monkeypatch.delenv("CNNAPPS_ACCEL")
    linear = torch.nn.Linear(2, 2)
    assert accelerated_text_cnn(linear) is linear
