"""Layer tables (torchinfo) and block diagrams: exact parameter counts of the classic architectures."""

from __future__ import annotations

import pytest

from cnnapps.explorer.architectures import (
    ARCHITECTURES,
    UnknownArchitecture,
    block_diagram,
    summarise,
)

# Known values: torchvision's own weights.meta["num_params"]; LeNet-5: 60,000 of the paper
# (C1..F6) + 850 for our linear output layer (see cnnapps/models/lenet5.py).
KNOWN = {"alexnet": 61_100_840, "vgg16": 138_357_544, "resnet18": 11_689_512, "resnet50": 25_557_032,
         "lenet5": 60_850, "mobilenet_v2_tflite": 3_489_097}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("name", list(KNOWN))
def test_parameter_counts_are_exact(name) -> None:
    s = summarise(name)
    assert s.total_params == KNOWN[name]
    assert s.trainable_params == KNOWN[name]
    # The table's own-parameter column adds up to the total (no layer counted twice or missed).
    assert sum(r.params for r in s.rows) == KNOWN[name]
    assert s.mult_adds > 0 and all(r.output_shape for r in s.rows)


def test_torchvision_agrees_with_its_metadata() -> None:
    import torchvision.models as tvm

    for name, weights in (("alexnet", tvm.AlexNet_Weights.DEFAULT), ("vgg16", tvm.VGG16_Weights.DEFAULT),
                          ("resnet18", tvm.ResNet18_Weights.DEFAULT), ("resnet50", tvm.ResNet50_Weights.DEFAULT)):
        assert weights.meta["num_params"] == KNOWN[name]


def test_lenet5_table_rows() -> None:
    s = summarise("lenet5")
    by_name = {r.name: r for r in s.rows}
    assert s.input_shape == (1, 28, 28)
    assert by_name["c1"].kernel == "5x5" and by_name["c1"].output_shape == (6, 28, 28)
    # torchinfo: (weights + bias) x output positions; the bias add counts as one multiply-add.
    assert by_name["c1"].params == 156 and by_name["c1"].mult_adds == 156 * 28 * 28
    assert by_name["c5"].output_shape == (120, 1, 1) and by_name["c5"].params == 48_120
    assert s.weight_layers == 5  # C1, C3, C5, F6, output


def test_resnet_geometry_and_mult_adds() -> None:
    s = summarise("resnet18")
    conv1 = s.rows[0]
    assert (conv1.name, conv1.kernel, conv1.stride, conv1.padding) == ("conv1", "7x7", "2", "3")
    assert conv1.output_shape == (64, 112, 112)
    assert conv1.mult_adds == 64 * 3 * 7 * 7 * 112 * 112
    assert 1.8e9 < s.mult_adds < 1.83e9  # torchvision reports 1.81 GFLOPS (multiply-adds)


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(UnknownArchitecture, match="No architecture named 'resnet1000'"):
        summarise("resnet1000")


def test_block_diagrams_show_skip_connections() -> None:
    resnet = block_diagram("resnet18")
    assert resnet.startswith("digraph") and resnet.count("label=\"skip") == 8  # 8 basic blocks, 3 with a 1x1 projection
    assert block_diagram("resnet50").count("label=\"skip") == 16
    assert block_diagram("mobilenet_v2_tflite").count('label="skip"') == 10  # stride-1 same-width blocks
    for plain in ("lenet5", "alexnet", "vgg16"):
        assert "skip" not in block_diagram(plain)


def test_every_architecture_has_paper_year_and_idea() -> None:
    assert set(ARCHITECTURES) == set(KNOWN)
    for arch in ARCHITECTURES.values():
        assert 1998 <= arch.year <= 2018 and arch.paper and arch.idea.count(".") >= 2
