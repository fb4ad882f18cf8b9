"""Grad-CAM adapter: shape and range, hooks released, shared model never mutated."""

from __future__ import annotations

import pytest
import torch

from cnnapps.explain import ClassifierOutputTarget, cam_heatmap
from cnnapps.loaded import LoadedModel
from cnnapps.registry import ModelSpec, list_models

IMAGE = list_models("classification")


def _random(spec: ModelSpec) -> LoadedModel:
    torch.manual_seed(0)
    module = spec.build().eval().requires_grad_(False)  # frozen, as load() leaves it
    return LoadedModel(spec=spec, module=module, device=torch.device("cpu"))


@pytest.mark.parametrize("spec", IMAGE, ids=lambda s: s.name)
def test_heatmap_shape_and_range(spec: ModelSpec) -> None:
    assert spec.preprocessing is not None and spec.cam is not None
    loaded = _random(spec)
    height, width = spec.preprocessing.input_size
    x = torch.randn(1, 3, height, width)
    heat = cam_heatmap(loaded, x, [ClassifierOutputTarget(1)])
    assert heat.shape == (height, width)
    assert heat.dtype.name == "float32"
    assert float(heat.min()) >= 0.0 and float(heat.max()) <= 1.0 + 1e-6


def test_repeated_calls_leave_no_hooks_grads_or_input_changes() -> None:
    loaded = _random(next(s for s in IMAGE if s.name == "resnet18"))
    model = loaded.module
    layer = model.get_submodule("layer4")
    x = torch.randn(1, 3, 224, 224)
    x_before = x.clone()
    state_before = {k: v.clone() for k, v in model.state_dict().items()}
    for _ in range(5):
        cam_heatmap(loaded, x, [ClassifierOutputTarget(3)])
    assert len(layer._forward_hooks) == 0 and len(layer._backward_hooks) == 0
    assert all(p.grad is None for p in model.parameters())
    assert not any(p.requires_grad for p in model.parameters())  # left as found
    assert torch.equal(x, x_before)
    assert all(torch.equal(v, state_before[k]) for k, v in model.state_dict().items())


def test_works_inside_inference_mode() -> None:
    loaded = _random(next(s for s in IMAGE if s.name == "mobilenet_v2_tflite"))
    with torch.inference_mode():  # the page's default context must not break the backward pass
        heat = cam_heatmap(loaded, torch.randn(1, 3, 224, 224), [ClassifierOutputTarget(5)])
    assert heat.shape == (224, 224)


def test_hooks_released_when_forward_fails() -> None:
    loaded = _random(next(s for s in IMAGE if s.name == "resnet18"))
    layer = loaded.module.get_submodule("layer4")
    with pytest.raises(RuntimeError):
        cam_heatmap(loaded, torch.randn(1, 5, 224, 224), [ClassifierOutputTarget(0)])
    assert len(layer._forward_hooks) == 0
    with loaded.exclusive():  # the gate was released too, or this would block forever
        pass


def test_eigencam_needs_no_target() -> None:
    loaded = _random(next(s for s in IMAGE if s.name == "resnet18"))
    heat = cam_heatmap(loaded, torch.randn(1, 3, 96, 96), None, method="eigencam")
    assert heat.shape == (96, 96) and float(heat.max()) <= 1.0 + 1e-6
