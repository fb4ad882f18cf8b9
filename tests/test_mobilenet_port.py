"""The TFLite MobileNetV2 port: architecture, TF SAME padding, and parity with the uint8 reference."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from cnnapps.models.mobilenet_v2_tflite import (
    CAM_TARGET_LAYER,
    MobileNetV2TFLite,
    SamePadConv2d,
    mobilenet_v2_tflite,
    tf_same_padding,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = REPO_ROOT / "cnnapps" / "weights" / "mobilenet_v2_1.0_224_quant.pt"
LABELS = REPO_ROOT / "cnnapps" / "weights" / "imagenet_labels_1001.txt"
SHARED = Path(__file__).resolve().parents[2] / "shared"
REFERENCE = SHARED / "weights" / "mobilenet_v2_1.0_224_quant" / "reference.json"
TOL = 0.05


@pytest.fixture(scope="module")
def random_model() -> MobileNetV2TFLite:
    torch.manual_seed(0)
    return mobilenet_v2_tflite().eval()


@pytest.fixture(scope="module")
def pretrained_model() -> MobileNetV2TFLite:
    model = mobilenet_v2_tflite()
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True), strict=True)
    return model.eval()


def test_builder_output_shape_and_cam_layer(random_model: MobileNetV2TFLite) -> None:
    activations: list[torch.Tensor] = []
    gradients: list[torch.Tensor] = []

    def hook(_module: nn.Module, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        activations.append(output)
        output.register_hook(gradients.append)  # what Grad-CAM does to get d(score)/d(activation)

    handle = random_model.get_submodule(CAM_TARGET_LAYER).register_forward_hook(hook)
    try:
        logits = random_model(torch.randn(2, 3, 224, 224))
        logits[:, 1].sum().backward()
    finally:
        handle.remove()
        random_model.zero_grad(set_to_none=True)
    assert logits.shape == (2, 1001)
    assert activations[0].shape == (2, 1280, 7, 7)
    assert gradients[0].shape == (2, 1280, 7, 7)
    # In-place activations would overwrite tensors the backward hooks still need.
    assert not any(getattr(m, "inplace", False) for m in random_model.modules())


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "expected"),
    [(224, 3, 2, (0, 1)), (112, 3, 1, (1, 1)), (7, 1, 1, (0, 0)), (7, 3, 2, (1, 1)), (8, 1, 2, (0, 0))],
)
def test_tf_same_padding_rule(size: int, kernel: int, stride: int, expected: tuple[int, int]) -> None:
    assert tf_same_padding(size, kernel, stride) == expected


def test_stride2_conv_pads_bottom_right_only(random_model: MobileNetV2TFLite) -> None:
    stem = random_model.features[0][0]
    assert isinstance(stem, SamePadConv2d) and stem.stride == (2, 2)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        ours = stem(x)
        # TF SAME for a 3x3 stride-2 conv on an even size: 0 before, 1 after (bottom and right).
        reference = F.conv2d(F.pad(x, (0, 1, 0, 1)), stem.weight, stem.bias, stride=2)
    assert ours.shape == (1, 32, 112, 112)
    torch.testing.assert_close(ours, reference, rtol=0, atol=0)


def test_stride2_conv_hand_computed() -> None:
    conv = SamePadConv2d(1, 1, 3, stride=2)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        conv.bias.zero_()
        x = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
        out = conv(x)[0, 0]
    # Windows start at rows/cols 0 and 2; the second one runs into the single zero row/col after.
    # PyTorch's padding=1 would give 10 at [0, 0] (0 + 1 + 4 + 5).
    assert out.tolist() == [[45.0, 39.0], [66.0, 50.0]]


def test_bundled_weights_load() -> None:
    state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
    assert all(t.dtype == torch.float32 for t in state.values())
    mobilenet_v2_tflite().load_state_dict(state, strict=True)
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1001 and lines[0] == "background"


def _preprocess(path: Path) -> tuple[torch.Tensor, str]:
    """The reference preprocessing: PIL RGB, whole-image BILINEAR resize, (q - 128) / 128."""
    with Image.open(path) as img:
        q = np.asarray(img.convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.uint8)
    digest = hashlib.sha256(q.tobytes()).hexdigest()
    x = (torch.from_numpy(q.astype(np.float32)) - 128.0) / 128.0
    return x.permute(2, 0, 1).unsqueeze(0), digest


def test_parity_with_tflite_reference(pretrained_model: MobileNetV2TFLite) -> None:
    if not SHARED.is_dir() or not REFERENCE.is_file():
        pytest.skip("../shared/weights not present: parity needs the reference outputs")
    results = json.loads(REFERENCE.read_text(encoding="utf-8"))["results"]
    photos = {k: SHARED / "images" / k for k in results if (SHARED / "images" / k).is_file()}
    if not photos:
        pytest.skip("../shared/images not present: parity needs the reference photos")
    for name, path in photos.items():
        x, digest = _preprocess(path)
        recorded = results[name].get("input_uint8_sha256")
        assert recorded is None or digest == recorded, f"{name}: input bytes differ from the reference"
        with torch.no_grad():
            probs = torch.softmax(pretrained_model(x), dim=1)[0]
        top5 = results[name]["top5"]
        assert int(probs.argmax()) == top5[0]["index"], f"{name}: top-1 differs"
        for entry in top5:
            diff = abs(float(probs[entry["index"]]) - entry["prob"])
            assert diff <= TOL, f"{name}: class {entry['index']} prob differs by {diff:.3f}"
