"""Handwritten digits: LeNet-5 trained by this project on MNIST (bundled, offline), and digit samples.

Inputs go through :func:`cnnapps.digits.mnist_style` (``options["input"] == "mnist"``): photos of
a dark digit on paper are inverted and thresholded, then every digit is fitted into a 20x20 box and
centred by its centre of mass in 28x28, as MNIST's digits were.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from cnnapps.digits import mnist_style
from cnnapps.models.lenet5 import lenet5
from cnnapps.registry import CamConfig, ModelMeta, ModelSpec, Preprocessing, WeightsSource, register

__all__ = ["DIGIT_SAMPLES", "DIGITS_DIR", "DigitSample", "MnistPreprocessing", "digit_sample_bytes",
           "digit_sample_path"]

DIGITS_DIR = Path(__file__).resolve().parents[1] / "assets" / "digits"
LABELS = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class MnistPreprocessing(Preprocessing):
    """MNIST's own recipe instead of a resize: :func:`cnnapps.digits.mnist_style` (invert a dark-on-light
    photo, threshold, fit the digit's bounding box into 20x20, centre of mass at the centre of 28x28).
    ``cnnapps.preprocess.to_input`` calls :meth:`to_input`, so ``cnnapps.classify``, the CLI and the
    pages all read a digit the same way."""

    resize: int | tuple[int, int] = (28, 28)
    crop: tuple[int, int] | None = None
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)  # three identical grey channels (to_input below)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)

    def to_input(self, image: Image.Image) -> torch.Tensor:
        """float32 ``[1, 3, 28, 28]`` in [0, 1], ink = 1, the grey digit in all three channels (the
        app's image models all take 3 channels, e.g. the ONNX export of cnnapps.accel; LeNet5
        averages them back). Raises EmptyDigit for a blank image."""
        return torch.from_numpy(mnist_style(image))[None, None].expand(1, 3, 28, 28).contiguous()


@dataclass(frozen=True)
class DigitSample:
    name: str
    filename: str  # in cnnapps/assets/digits/
    caption: str
    credit: str = "MNIST (LeCun, Bottou, Bengio & Haffner 1998), CC BY-SA 3.0; from our held-out test split"


DIGIT_SAMPLES: tuple[DigitSample, ...] = (
    *(DigitSample(f"mnist_{d}", f"mnist_{d}.png", f"MNIST digit {d} (28 x 28)") for d in range(10)),
    *(DigitSample(f"photo_{d}", f"photo_{d}.jpg", f"'Photo' of a {d}: dark ink on paper, 224 x 224",
                  "made by scripts/make_digit_samples.py from an MNIST digit of our test split "
                  "(MNIST: CC BY-SA 3.0)") for d in (2, 4, 7)),
)


def digit_sample_path(name: str) -> Path:
    for s in DIGIT_SAMPLES:
        if s.name == name:
            return DIGITS_DIR / s.filename
    raise KeyError(f"No digit sample named {name!r}")


def digit_sample_bytes(name: str) -> bytes:
    return digit_sample_path(name).read_bytes()


def _load(path: Path) -> torch.nn.Module:
    model = lenet5()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


register(
    ModelSpec(
        name="lenet5",
        task="classification",
        # Starts with "Single digit" on purpose: list_models sorts offline models by display name and
        # the CLI/page default is the first one, which must stay the ImageNet MobileNetV2.
        display_name="Single digit 0-9: LeNet-5 (MNIST, trained here, bundled)",
        build=lenet5,
        weights={"model": WeightsSource(
            filename="lenet5_mnist.pt",
            sha256="c51dc6591e65556002269d5f4f487fc28581031af452241f89a4b55834cbde65",
            bundled=True,
            size_bytes=249_541,
        )},
        labels=LABELS,
        preprocessing=MnistPreprocessing(),
        # Grad-CAM on C3's 10x10 maps (after the squashing); the map is of the centred 28x28 digit.
        cam=CamConfig(target_layers=("act3",)),
        meta=ModelMeta(
            licence="CC BY-SA 3.0 (weights derived from MNIST digits, LeCun et al. 1998; attribute MNIST)",
            citation="LeCun, Bottou, Bengio & Haffner 1998, Gradient-based learning applied to document "
            "recognition, Proc. IEEE 86(11)",
            description="LeNet-5 with the paper's C3 connection table, scaled tanh and trainable "
            "sub-sampling (60,850 parameters: the paper's 60,000 + a linear output layer instead of the RBF "
            "layer), trained by scripts/train_lenet5.py on 8,000 MNIST digits of ../shared/data/mnist.",
            # scripts/lenet5_results.json and scripts/eval_lenet5.py: 2,000 held-out digits.
            metrics={"held-out MNIST test split, 2,000 digits (%)": 98.95,
                     "same, through the app's MNIST-style preprocessing (%)": 99.0},
            caveat="Reads one handwritten digit 0-9; anything else is still read as a digit.",
        ),
        options={"input": "mnist", "input_shape": (1, 28, 28)},
    )
)
