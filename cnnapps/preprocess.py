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

from cnnapps.registry import Preprocessing

__all__ = ["model_view", "to_input"]

_INTERPOLATION = {"bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC}


def model_view(image: Image.Image, pre: Preprocessing) -> Image.Image:
    """The RGB image the model actually sees (resized and cropped), e.g. 224x224.

    The Grad-CAM overlay is drawn on this, so heat and pixels line up exactly.
    """
    size = [pre.resize] if isinstance(pre.resize, int) else list(pre.resize)
    view = F.resize(image, size, interpolation=_INTERPOLATION[pre.interpolation], antialias=True)
    if pre.crop is not None:
        view = F.center_crop(view, list(pre.crop))
    return view


def to_input(image: Image.Image, pre: Preprocessing) -> torch.Tensor:
    """float32 tensor [1, 3, H, W], normalised, on the CPU (the caller moves it)."""
    return _normalise(model_view(image, pre), pre)


def _normalise(view: Image.Image, pre: Preprocessing) -> torch.Tensor:
    x = F.to_dtype(F.pil_to_tensor(view), torch.float32, scale=True)  # uint8 -> [0, 1]
    return F.normalize(x, list(pre.mean), list(pre.std)).unsqueeze(0)
