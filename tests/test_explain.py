"""Grad-CAM adapter: shape and range, hooks released, shared model never mutated."""

from __future__ import annotations

import pytest
import torch

from cnnapps.explain import grad_cam
from cnnapps.registry import ModelSpec, list_models

IMAGE = list_models("classification")


@pytest.mark.parametrize("spec", IMAGE, ids=lambda s: s.name)
def test_heatmap_shape_and_range(spec: ModelSpec) -> None:
    assert spec.preprocessing is not None and spec.target_layer
    torch.manual_seed(0)
    model = spec.build().eval()
    height, width = spec.preprocessing.input_size
    x = torch.randn(1, 3, height, width)
    heat = grad_cam(model, x, target_layer=spec.target_layer, class_index=1)
    assert heat.shape == (height, width)
    assert heat.dtype.name == "float32"
    assert float(heat.min()) >= 0.0 and float(heat.max()) <= 1.0 + 1e-6


def test_repeated_calls_leave_no_hooks_grads_or_input_changes() -> None:
    spec = next(s for s in IMAGE if s.name == "resnet18")
    model = spec.build().eval()
    model.requires_grad_(False)  # as load_model leaves it
    layer = model.get_submodule("layer4")
    x = torch.randn(1, 3, 224, 224)
    x_before = x.clone()
    state_before = {k: v.clone() for k, v in model.state_dict().items()}
    for _ in range(5):
        grad_cam(model, x, target_layer="layer4", class_index=3)
    assert len(layer._forward_hooks) == 0 and len(layer._backward_hooks) == 0
    assert all(p.grad is None for p in model.parameters())
    assert not any(p.requires_grad for p in model.parameters())  # left as found
    assert torch.equal(x, x_before)
    assert all(torch.equal(v, state_before[k]) for k, v in model.state_dict().items())


def test_works_inside_inference_mode() -> None:
    spec = next(s for s in IMAGE if s.name == "mobilenet_v2_tflite")
    model = spec.build().eval()
    with torch.inference_mode():  # the page's default context must not break the backward pass
        heat = grad_cam(model, torch.randn(1, 3, 224, 224), target_layer=spec.target_layer or "",
                        class_index=5)
    assert heat.shape == (224, 224)


def test_hooks_released_when_forward_fails() -> None:
    spec = next(s for s in IMAGE if s.name == "resnet18")
    model = spec.build().eval()
    layer = model.get_submodule("layer4")
    with pytest.raises(RuntimeError):
        grad_cam(model, torch.randn(1, 5, 224, 224), target_layer="layer4", class_index=0)
    assert len(layer._forward_hooks) == 0
