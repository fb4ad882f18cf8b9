"""cnnapps.accel: faster stand-ins for image models give the same outputs, and Grad-CAM / hooks
still run the eager module (issue 13's image-speed target without changing results)."""

from __future__ import annotations

import pytest
import torch

import cnnapps
from cnnapps.accel import Accelerated, StaticPadConv2d, accelerate, accelerated, mechanism_for
from cnnapps.images import load_image
from cnnapps.loaded import LoadedModel, load_module
from cnnapps.preprocess import to_input
from cnnapps.registry import get_spec
from cnnapps.samples import sample_bytes
from cnnapps.tasks.classify import classify

SPEC = get_spec("mobilenet_v2_tflite")
PHOTOS = ("cat", "coffee", "parrot")


@pytest.fixture(scope="module")
def eager() -> LoadedModel:
    module = load_module(SPEC).requires_grad_(False)
    return LoadedModel(spec=SPEC, module=module, device=torch.device("cpu"))


@pytest.fixture(scope="module")
def fast() -> LoadedModel:
    pytest.importorskip("onnxruntime")
    loaded = cnnapps.load(SPEC.name, device="cpu")
    assert isinstance(loaded.module, Accelerated) and loaded.module.mechanism == "onnxruntime"
    return loaded


@pytest.fixture(scope="module")
def inputs() -> torch.Tensor:
    return torch.cat([to_input(load_image(sample_bytes(n)), SPEC.preprocessing) for n in PHOTOS])


@pytest.mark.parametrize("mechanism", ["onnxruntime", "channels_last"])
def test_same_logits_and_module_paths(eager, fast, inputs, mechanism) -> None:
    model = eager.module
    stand_in = fast.module if mechanism == "onnxruntime" else accelerated(
        model, input_size=(224, 224), mechanism=mechanism)
    assert stand_in.mechanism == mechanism and stand_in is not model
    with torch.inference_mode():
        ref, out = model(inputs), stand_in(inputs)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
    assert torch.equal(out.argmax(1), ref.argmax(1))
    if mechanism == "onnxruntime":
        assert [n for n, _ in stand_in.named_modules()][1:] == [n for n, _ in model.named_modules()][1:]
    assert stand_in.state_dict().keys() == model.state_dict().keys()
    assert not isinstance(model.features[0][0], StaticPadConv2d)  # the original is not changed


def test_classify_through_onnxruntime_matches_eager(eager, fast) -> None:
    for name in PHOTOS:
        data = sample_bytes(name)
        a, b = classify(eager, data, top_k=5), classify(fast, data, top_k=5)
        assert [p.index for p in a.top] == [p.index for p in b.top]
        assert max(abs(p.probability - q.probability) for p, q in zip(a.top, b.top, strict=True)) < 1e-5


def test_gradcam_and_hooks_use_the_eager_module(eager, fast, inputs) -> None:
    module = fast.module
    seen = []
    handle = module.get_submodule("features.18").register_forward_hook(lambda m, a, o: seen.append(o.shape))
    try:
        with torch.no_grad():
            module(inputs[:1])
    finally:
        handle.remove()
    assert seen == [torch.Size([1, 1280, 7, 7])]  # a hook forces the eager path, so it fires
    x = inputs[:1].clone().requires_grad_(True)
    module(x)[0].max().backward()  # autograd: eager path, gradients reach the input
    assert x.grad is not None and x.grad.abs().sum() > 0
    a = classify(eager, sample_bytes("cat"), top_k=1, with_cam=True).heatmap
    b = classify(fast, sample_bytes("cat"), top_k=1, with_cam=True).heatmap
    assert a is not None and b is not None
    assert abs(a - b).max() < 1e-4  # the same Grad-CAM map


def test_static_padding_refuses_another_size(eager) -> None:
    stand_in = accelerate(eager.module, input_size=(224, 224))
    assert isinstance(stand_in.features[0][0], StaticPadConv2d)
    assert stand_in.features[0][0].extra_pad == (0, 1, 0, 1)
    with pytest.raises(ValueError, match="built for"), torch.inference_mode():
        stand_in(torch.zeros(1, 3, 200, 200))


def test_mechanism_choice(monkeypatch) -> None:
    monkeypatch.setenv("CNNAPPS_ACCEL", "eager")
    assert mechanism_for("cpu") == "eager"
    monkeypatch.setenv("CNNAPPS_ACCEL", "onnxruntime")
    assert mechanism_for("cuda") == "channels_last"  # ONNX Runtime here is the CPU build
    monkeypatch.delenv("CNNAPPS_ACCEL")
    assert mechanism_for("cuda") == "channels_last"
    big = torch.nn.Linear(4000, 4000)  # 64 MB of parameters: ONNX Runtime would double them
    assert mechanism_for("cpu", big) == "channels_last"
