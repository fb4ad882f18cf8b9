"""Feature maps, filters and receptive fields on a shared LoadedModel: hooks released, thread-safe."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PIL import Image

import cnnapps
from cnnapps.explorer.features import (
    UnknownLayer,
    conv_layers,
    feature_maps,
    feature_maps_all,
    first_layer_filters,
    receptive_field,
)
from cnnapps.samples import sample_path
from cnnapps.zoo.digits import digit_sample_path


def _hook_count(module: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               for m in module.modules())


@pytest.fixture(scope="module")
def lenet():
    return cnnapps.load("lenet5", device="cpu")


@pytest.fixture(scope="module")
def mobilenet():
    return cnnapps.load("mobilenet_v2_tflite", device="cpu")


@pytest.fixture(scope="module")
def cat() -> Image.Image:
    return Image.open(sample_path("chelsea")).convert("RGB")


def test_lenet_feature_maps_shapes_and_order(lenet) -> None:
    digit = Image.open(digit_sample_path("mnist_3"))
    fm = feature_maps(lenet, digit, layer="c1")
    assert fm.maps.shape == (6, 28, 28) and fm.input_view.shape == (28, 28)
    means = fm.maps.reshape(6, -1).mean(1)
    assert list(fm.order) == list(np.argsort(-means, kind="stable"))
    assert fm.normalised(fm.order[0]).max() == pytest.approx(1.0)
    all_maps, probs = feature_maps_all(lenet, digit, layers=["c1", "s2", "c3", "s4", "c5", "f6"])
    assert {k: v.maps.shape for k, v in all_maps.items()} == {
        "c1": (6, 28, 28), "s2": (6, 14, 14), "c3": (16, 10, 10), "s4": (16, 5, 5), "c5": (120, 1, 1),
        "f6": (84, 1, 1)}
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert int(np.argmax(probs)) == 3  # the trained model reads the bundled test digit


def test_feature_maps_equal_a_plain_forward_and_survive_inplace_relu(mobilenet, cat) -> None:
    layer = "features.0"
    fm = feature_maps(mobilenet, cat, layer=layer)
    from cnnapps.explorer.features import model_input

    x, _ = model_input(mobilenet.spec, cat)
    with torch.inference_mode():
        ref = mobilenet.module.get_submodule(layer)(x)[0].numpy()
    np.testing.assert_allclose(fm.maps, ref, rtol=1e-4, atol=1e-4)


def test_alexnet_conv_maps_are_taken_before_the_inplace_relu(cat) -> None:
    from cnnapps.loaded import LoadedModel  # random weights: no download in tests

    spec = cnnapps.get_spec("alexnet")
    loaded = LoadedModel(spec=spec, module=spec.build().eval().requires_grad_(False), device=torch.device("cpu"))
    fm = feature_maps(loaded, cat, layer="features.0")  # features.1 is ReLU(inplace=True)
    assert (fm.maps < 0).any()  # a conv output has negatives; a ReLU'd copy would not


def test_repeated_calls_do_not_grow_hooks(lenet, mobilenet, cat) -> None:
    digit = Image.open(digit_sample_path("mnist_7"))
    before = (_hook_count(lenet.module), _hook_count(mobilenet.module))
    for _ in range(5):
        feature_maps(lenet, digit, layer="c3")
        feature_maps_all(lenet, digit, layers=["c1", "c5"])
        receptive_field(lenet, digit, layer="c3")
        feature_maps(mobilenet, cat, layer="features.3")
    with pytest.raises(UnknownLayer):
        feature_maps(lenet, digit, layer="nope")
    assert (_hook_count(lenet.module), _hook_count(mobilenet.module)) == before == (0, 0)


def test_unknown_layer_lists_real_layers(lenet) -> None:
    with pytest.raises(UnknownLayer, match="c1"):
        feature_maps(lenet, Image.open(digit_sample_path("mnist_1")), layer="conv9")


def test_first_layer_filters(lenet, mobilenet) -> None:
    f = first_layer_filters(lenet.module)
    assert f.shape == (6, 5, 5) and f.min() == 0.0 and f.max() == 1.0
    assert first_layer_filters(mobilenet.module).shape == (32, 3, 3, 3)


def test_receptive_field_sizes(lenet) -> None:
    digit = Image.open(digit_sample_path("mnist_8"))
    # C1 unit (r, c) sees the 5x5 window of the 32x32 padded input; in the 28x28 digit that is rows
    # r-2..r+2. C3 after S2: 5 + 2*(5-1) = 14 pixels... clipped at the border.
    rf1 = receptive_field(lenet, digit, layer="c1", channel=0, row=14, col=14)
    assert rf1.box == (12, 12, 16, 16)
    rf3 = receptive_field(lenet, digit, layer="c3", channel=15, row=5, col=5)
    assert rf3.size == (14, 14)
    assert rf3.influence.max() == pytest.approx(1.0)
    with pytest.raises(UnknownLayer, match="outside"):
        receptive_field(lenet, digit, layer="c3", channel=0, row=99, col=0)


def test_feature_maps_are_safe_beside_other_users(mobilenet, cat) -> None:
    """Threads reading feature maps while others classify: every plain forward is unchanged and
    every hook is gone at the end (the Core v2 pattern: hooks only inside loaded.exclusive())."""
    from cnnapps.explorer.features import model_input

    x, _ = model_input(mobilenet.spec, cat)
    with torch.inference_mode():
        reference = mobilenet.module(x).numpy()
    ref_maps = feature_maps(mobilenet, cat, layer="features.2").maps
    errors: list[BaseException] = []

    def plain() -> None:
        try:
            for _ in range(3):
                out = mobilenet(x)
                np.testing.assert_allclose(out.float().numpy(), reference, rtol=1e-4, atol=1e-4)
        except BaseException as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    def maps() -> None:
        try:
            for _ in range(3):
                np.testing.assert_allclose(feature_maps(mobilenet, cat, layer="features.2").maps, ref_maps,
                                           rtol=1e-4, atol=1e-4)
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=fn) for fn in (plain, maps, plain, maps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[0]
    assert _hook_count(mobilenet.module) == 0


def test_conv_layers(lenet) -> None:
    assert conv_layers(lenet.module)[:4] == ["c1", "act1", "s2", "act2"]
    assert "c3.convs.0" not in conv_layers(lenet.module)
