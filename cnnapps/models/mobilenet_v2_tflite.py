"""MobileNetV2 1.0/224 laid out like TensorFlow's quantised TFLite model, as a float PyTorch module.

The weights come from ``scripts/convert_mobilenet_v2_tflite.py`` (batch norm is already folded into
every convolution there, so each conv here has a bias and no BatchNorm follows it). Building the module
reads no file.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "CAM_TARGET_LAYER",
    "NUM_CLASSES",
    "ConvReLU6",
    "InvertedResidual",
    "MobileNetV2TFLite",
    "SamePadConv2d",
    "mobilenet_v2_tflite",
    "tf_same_padding",
]

NUM_CLASSES = 1001  # index 0 is "background"; TFLite class i = torchvision ImageNet class i - 1
# Last 4-D feature map (1x1 conv 320 -> 1280 + ReLU6, 7x7 for a 224 input): Grad-CAM hooks it.
CAM_TARGET_LAYER: str = "features.18"

# (expansion t, output channels c, repeats n, first stride s): Table 2 of Sandler et al. 2018.
_INVERTED_RESIDUAL_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
_STEM_CHANNELS = 32
_LAST_CHANNELS = 1280


def tf_same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of one spatial axis under TensorFlow's ``SAME`` rule.

    TF makes the output ``ceil(size / stride)`` long and pads
    ``total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)``, putting
    ``total // 2`` before and the rest after. A 3x3 stride-2 conv on an even size therefore pads
    0 before and 1 after (224 -> 112 pads only bottom/right), which PyTorch's symmetric
    ``padding=1`` cannot express: it would shift every sampling point by one pixel.
    """
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class SamePadConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow ``SAME`` padding, computed from the input size at each call."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        groups: int = 1,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = tf_same_padding(x.shape[-2], self.kernel_size[0], self.stride[0], self.dilation[0])
        left, right = tf_same_padding(x.shape[-1], self.kernel_size[1], self.stride[1], self.dilation[1])
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))  # zeros, as TF pads
        return super().forward(x)


class ConvReLU6(nn.Sequential):
    """A SAME-padded conv (BN folded into it) followed by ReLU6: TFLite's CONV_2D with fused RELU6."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1, groups: int = 1
    ) -> None:
        super().__init__(
            SamePadConv2d(in_channels, out_channels, kernel_size, stride=stride, groups=groups),
            nn.ReLU6(),  # not in place: Grad-CAM's backward hooks need the un-modified output
        )


class InvertedResidual(nn.Module):
    """Expand 1x1 (skipped when t = 1), depthwise 3x3, linear 1x1 projection; add the input when shapes
    allow (stride 1 and same channels)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvReLU6(in_channels, hidden, 1))
        layers.append(ConvReLU6(hidden, hidden, 3, stride=stride, groups=hidden))
        layers.append(SamePadConv2d(hidden, out_channels, 1))  # linear bottleneck: no activation
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


class MobileNetV2TFLite(nn.Module):
    """MobileNetV2 (Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
    arXiv:1801.04381), width 1.0, 224x224, shaped like TensorFlow's ``mobilenet_v2_1.0_224_quant``.

    Differences from ``torchvision.models.mobilenet_v2`` that matter for loading TF weights:

    - batch norm is folded into the convolutions, so every conv has a bias and there is no BatchNorm;
    - every conv uses TF ``SAME`` padding (:func:`tf_same_padding`): the stride-2 convs pad 0 before
      and 1 after on even sizes, where PyTorch's ``padding=1`` pads 1 on both sides. With symmetric
      padding the TF kernels would be applied one pixel off, and the error compounds over the five
      stride-2 layers;
    - 1001 classes (0 = "background").

    Input: ``[N, 3, 224, 224]`` float, RGB, ``(q - 128) / 128`` of the uint8 pixels (range [-1, 1]).
    Output: logits ``[N, 1001]`` (apply softmax for probabilities).
    """

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvReLU6(3, _STEM_CHANNELS, 3, stride=2)]
        channels = _STEM_CHANNELS
        for t, c, n, s in _INVERTED_RESIDUAL_SETTING:
            for i in range(n):
                layers.append(InvertedResidual(channels, c, s if i == 0 else 1, t))
                channels = c
        layers.append(ConvReLU6(channels, _LAST_CHANNELS, 1))
        self.features = nn.Sequential(*layers)
        # TF applies a 1x1 conv to the pooled [N, 1280, 1, 1] map; on one pixel that is a Linear.
        self.classifier = nn.Linear(_LAST_CHANNELS, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = x.mean(dim=(2, 3))  # TF: AVERAGE_POOL_2D 7x7 VALID on the 7x7 map = global average
        return self.classifier(x)


def mobilenet_v2_tflite() -> MobileNetV2TFLite:
    """The architecture with random weights; load the converted state_dict to use it."""
    return MobileNetV2TFLite()
