"""MobileFaceNet (Chen et al. 2018, arXiv:1804.07573): 112x112 aligned face -> 128-d embedding.

A port whose module names match the state dict of foamliu/MobileFaceNet (ArcFace loss, MS1M
"faces_emore"), so ``load_state_dict(strict=True)`` checks every tensor. The layer list is the
one written down in ``../shared/weights/README.md`` (section 3), read from the state-dict keys:
conv1 -> depthwise 3x3 -> 15 MobileNetV2 bottlenecks -> 1x1 to 512 -> global depthwise 7x7
("GDConv", the paper's replacement for global average pooling) -> linear 1x1 to 128 -> BN.

Input: ``[N, 3, 112, 112]`` float32 RGB, ``(pixel / 255 - mean) / std`` with ImageNet statistics
(:data:`MEAN`, :data:`STD`). Output: ``[N, 128]`` raw embeddings (norms ~16-22); L2-normalise
before comparing (cosine similarity = dot product).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["EMBEDDING_DIM", "INPUT_SIZE", "MEAN", "STD", "MobileFaceNet", "MobileFaceNetConfig",
           "mobilefacenet"]

INPUT_SIZE = 112  # pixels, square; the ArcFace alignment template is defined on this canvas
EMBEDDING_DIM = 128
MEAN = (0.485, 0.456, 0.406)  # the reference pipeline normalises with ImageNet statistics
STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class MobileFaceNetConfig:
    # (expansion t, output channels c, repeats n, stride of the first block s), paper Table 1
    bottlenecks: tuple[tuple[int, int, int, int], ...] = (
        (2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1),
    )
    embedding_dim: int = EMBEDDING_DIM  # the linear 1x1 "conv3" output


def _conv_bn_relu6(cin: int, cout: int, *, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class _InvertedResidual(nn.Module):
    """MobileNetV2 bottleneck: expand 1x1 -> depthwise 3x3 -> linear project 1x1 (+ residual)."""

    def __init__(self, cin: int, cout: int, *, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = cin * expansion
        self.use_residual = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            _conv_bn_relu6(cin, hidden, kernel=1),
            _conv_bn_relu6(hidden, hidden, kernel=3, stride=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


class _DepthwiseSeparable(nn.Module):
    """The stem's second layer; plain ReLU here (not ReLU6), as in the source repository."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 3, 1, 1, groups=channels, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.pointwise = nn.Conv2d(channels, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.depthwise(x)))
        return self.relu(self.bn2(self.pointwise(x)))


class _GlobalDepthwise(nn.Module):
    """GDConv: a 7x7 depthwise convolution without padding over the 7x7 map, then BN (no ReLU)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 7, groups=channels, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.depthwise(x))


class MobileFaceNet(nn.Module):
    def __init__(self, config: MobileFaceNetConfig | None = None) -> None:
        super().__init__()
        config = config or MobileFaceNetConfig()
        self.conv1 = _conv_bn_relu6(3, 64, kernel=3, stride=2)  # 112 -> 56
        self.dw_conv = _DepthwiseSeparable(64)
        blocks: list[nn.Module] = []
        cin = 64
        for t, c, n, s in config.bottlenecks:
            for i in range(n):
                blocks.append(_InvertedResidual(cin, c, stride=s if i == 0 else 1, expansion=t))
                cin = c
        self.features = nn.Sequential(*blocks)  # 56 -> 28 -> 14 -> 7
        self.conv2 = _conv_bn_relu6(cin, 512, kernel=1)
        self.gdconv = _GlobalDepthwise(512)  # 7x7 -> 1x1
        self.conv3 = nn.Conv2d(512, config.embedding_dim, 1)  # with bias, as in the state dict
        self.bn = nn.BatchNorm2d(config.embedding_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, 3, 112, 112]`` normalised RGB -> ``[N, 128]`` raw (unnormalised) embeddings."""
        x = self.dw_conv(self.conv1(x))
        x = self.conv2(self.features(x))
        x = self.bn(self.conv3(self.gdconv(x)))
        return torch.flatten(x, 1)


def mobilefacenet() -> MobileFaceNet:
    """The architecture with random weights (no file read: tests and the registry's ``build``)."""
    return MobileFaceNet()
