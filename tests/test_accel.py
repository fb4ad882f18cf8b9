"""cnnapps.accel: faster stand-ins for image models give the same outputs, and Grad-CAM / hooks
still run the eager module (issue 13's image-speed target without changing results)."""

from __future__ import annotations

import pytest
import torch

from cnnapps.accel import StaticPadConv2d, accelerate, accelerated, mechanism_for
from cnnapps.images import load_image
from cnnapps.preprocess import to_input
from cnnapps.registry import get_spec
from cnnapps.samples import sample_bytes
from cnnapps.tasks.classify import classify
from cnnapps.weights import load_model

SPEC = get_spec("mobilenet_v2_tflite")
PHOTOS = ("cat", "coffee", "parrot")


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return load_model(SPEC, device=torch.device("cpu"))


@pytest.fixture(scope="module")
def inputs() -> torch.Tensor:
    return torch.cat([to_input(load_image(sample_bytes(n)), SPEC.preprocessing) for n in PHOTOS])


@pytest.fixture(scope="module")
def ort_model(model) -> torch.nn.Module:
    pytest.importorskip("onnxruntime")
    return accelerated(model, input_size=(224, 224), mechanism="onnxruntime")


@pytest.mark.parametrize("mechanism", ["onnxruntime", "channels_last"])
def test_same_logits_and_module_paths(model, ort_model, inputs, mechanism) -> None:
    fast = ort_model if mechanism == "onnxruntime" else accelerated(model, input_size=(224, 224),
                                                                     mechanism=mechanism)
    assert fast.mechanism == mechanism and fast is not model
    with torch.inference_mode():
        ref, out = model(inputs), fast(inputs)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
    assert torch.equal(out.argmax(1), ref.argmax(1))
    assert [n for n, _ in fast.named_modules() if n] == [n for n, _ in model.named_modules() if n] or \
        mechanism == "channels_last"  # channels_last swaps SamePadConv2d for StaticPadConv2d
    assert fast.state_dict().keys() == model.state_dict().keys()
    assert isinstance(model.features[0][0], torch.nn.Conv2d) and not isinstance(model.features[0][0],
                                                                                StaticPadConv2d)


def test_classify_through_onnxruntime_matches_eager(model, ort_model) -> None:
    fast = ort_model
    for name in PHOTOS:
        image = load_image(sample_bytes(name))
        a, b = classify(model, image, spec=SPEC, top_k=5), classify(fast, image, spec=SPEC, top_k=5)
        assert [p.index for p in a.top] == [p.index for p in b.top]
        assert max(abs(p.probability - q.probability) for p, q in zip(a.top, b.top, strict=True)) < 1e-5


def test_gradcam_and_hooks_use_the_eager_module(ort_model, inputs) -> None:
    fast = ort_model
    seen = []
    handle = fast.get_submodule("features.18").register_forward_hook(lambda m, a, o: seen.append(o.shape))
    try:
        with torch.no_grad():
            fast(inputs[:1])
    finally:
        handle.remove()
    assert seen == [torch.Size([1, 1280, 7, 7])]  # a hook forces the eager path, so it fires
    x = inputs[:1].clone().requires_grad_(True)
    fast(x)[0].max().backward()  # autograd: eager path, gradients reach the input
    assert x.grad is not None and x.grad.abs().sum() > 0
    result = classify(fast, load_image(sample_bytes("cat")), spec=SPEC, top_k=1, with_cam=True)
    assert result.heatmap is not None and result.heatmap.max() > 0


def test_static_padding_refuses_another_size(model) -> None:
    fast = accelerate(model, input_size=(224, 224))
    assert isinstance(fast.features[0][0], StaticPadConv2d) and fast.features[0][0].extra_pad == (0, 1, 0, 1)
    with pytest.raises(ValueError, match="built for"), torch.inference_mode():
        fast(torch.zeros(1, 3, 200, 200))


def test_mechanism_choice(monkeypatch) -> None:
    monkeypatch.setenv("CNNAPPS_ACCEL", "eager")
    assert mechanism_for("cpu") == "eager"
    monkeypatch.setenv("CNNAPPS_ACCEL", "onnxruntime")
    assert mechanism_for("cuda") == "channels_last"  # ONNX Runtime here is the CPU build
    monkeypatch.delenv("CNNAPPS_ACCEL")
    assert mechanism_for("cuda") == "channels_last"
