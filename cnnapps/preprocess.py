"""PIL image -> model input, following the spec's :class:`~cnnapps.registry.Preprocessing`.

Uses torchvision's functional ops on the PIL image, as ``torchvision.transforms._presets.
ImageClassification`` does, so torchvision models see exactly their reference preprocessing
(Pillow's antialiased resize), and the TFLite MobileNet sees its whole-image bilinear squash.
"""

from __future__ import annotations

import torch
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as F

from cnnapps.errors import InvalidImage
from cnnapps.registry import Preprocessing

__all__ = ["MAX_ASPECT", "check_aspect", "heatmap_canvas", "model_view", "to_input"]

# Longest side / shorter side accepted by a shorter-side resize. A 100000x1 PNG (375 bytes) would
# otherwise become a 25.6M x 256 px image (~20 GB) before the centre crop; 25:1 still takes wide
# panoramas (typically 4:1 to 12:1), of which the crop keeps the middle anyway.
MAX_ASPECT = 25.0

_INTERPOLATION = {"bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC}


def model_view(image: Image.Image, pre: Preprocessing) -> Image.Image:
    """The RGB image the model actually sees (resized and cropped), e.g. 224x224.

    The Grad-CAM overlay is drawn on this, so heat and pixels line up exactly.
    """
    if isinstance(pre.resize, int):
        check_aspect(image, shorter_side=pre.resize)
    size = [pre.resize] if isinstance(pre.resize, int) else list(pre.resize)
    view = F.resize(image, size, interpolation=_INTERPOLATION[pre.interpolation], antialias=True)
    if pre.crop is not None:
        view = F.center_crop(view, list(pre.crop))
    return view


def check_aspect(image: Image.Image, *, shorter_side: int) -> None:
    """Raise :class:`InvalidImage` before a shorter-side resize of an extreme strip would need
    gigabytes: the longest side over the shorter one must be at most :data:`MAX_ASPECT`."""
    w, h = image.size
    short, long_ = min(w, h), max(w, h)
    if short < 1 or long_ / short > MAX_ASPECT:
        resized = round(shorter_side * long_ / max(short, 1))
        raise InvalidImage(
            f"This image is {w:,} x {h:,} pixels, a {long_ / max(short, 1):,.0f}:1 strip. This model first "
            f"resizes the shorter side to {shorter_side} px, which would make it {resized:,} px long; "
            f"it accepts shapes up to {MAX_ASPECT:.0f}:1. Crop the image, or pick a model that "
            "squashes the whole photo to its input size (the bundled MobileNetV2).")


def heatmap_canvas(image: Image.Image, pre: Preprocessing, *, max_side: int = 512) -> Image.Image:
    """The picture to draw a Grad-CAM map on, so that heat and pixels line up.

    With a centre crop the model saw only part of the photo: draw on that view. Without a crop
    (the whole photo squashed to the input size) stretching the map back over the photo is the
    exact inverse, and the user sees their photo undistorted.
    """
    if pre.crop is not None:
        return model_view(image, pre)
    canvas = image.copy()
    canvas.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return canvas


def to_input(image: Image.Image, pre: Preprocessing) -> torch.Tensor:
    """float32 tensor [1, 3, H, W], normalised, on the CPU (the caller moves it).

    A ``Preprocessing`` subclass with its own ``to_input(image)`` method (the MNIST-style digit
    centring of :class:`cnnapps.zoo.digits.MnistPreprocessing`) is used as it is.
    """
    custom = getattr(pre, "to_input", None)
    if callable(custom):
        return custom(image)
    return _normalise(model_view(image, pre), pre)


def _normalise(view: Image.Image, pre: Preprocessing) -> torch.Tensor:
    x = F.to_dtype(F.pil_to_tensor(view), torch.float32, scale=True)  # uint8 -> [0, 1]
    return F.normalize(x, list(pre.mean), list(pre.std)).unsqueeze(0)
