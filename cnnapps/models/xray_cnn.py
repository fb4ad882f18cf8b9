"""A small CNN for 28 x 28 chest radiographs (PneumoniaMNIST: 0 normal, 1 pneumonia).

VGG-style (Simonyan & Zisserman 2015) blocks of two 3x3 convolutions with batch norm, at 28, 14 and
7 pixels, then global average pooling (Lin et al. 2014) and one linear layer. The last block stays at
7 x 7 so that Grad-CAM (Selvaraju et al. 2017) on ``features.block3`` still has a spatial map.

The module carries its own decision: ``calib_scale``/``calib_bias`` (Platt scaling of the logit
difference, fitted on the validation split) and ``threshold`` (on the calibrated probability, chosen
on the validation split) are buffers, so the weights file alone says how to read the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["XrayCNN", "XrayCNNConfig"]


@dataclass(frozen=True)
class XrayCNNConfig:
    widths: tuple[int, int, int] = (32, 64, 128)  # channels of the 28, 14 and 7 px blocks
    dropout: float = 0.3  # before the classifier
    num_classes: int = 2  # softmax over (normal, pneumonia)
    # Input normalisation: pixels in [0, 1] -> (x - mean) / std; PneumoniaMNIST's train mean is
    # 0.577 (147/255), its std about 0.17; round numbers keep the file self-describing.
    mean: float = 0.5
    std: float = 0.25


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class XrayCNN(nn.Module):
    """Input ``[N, 1, 28, 28]`` float32 in [0, 1]; output logits ``[N, 2]`` (normal, pneumonia)."""

    def __init__(self, config: XrayCNNConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or XrayCNNConfig()
        w1, w2, w3 = cfg.widths
        self.features = nn.Sequential()
        self.features.add_module("block1", _block(1, w1))
        self.features.add_module("pool1", nn.MaxPool2d(2))
        self.features.add_module("block2", _block(w1, w2))
        self.features.add_module("pool2", nn.MaxPool2d(2))
        self.features.add_module("block3", _block(w2, w3))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(cfg.dropout)
        self.classifier = nn.Linear(w3, cfg.num_classes)
        # The decision, set after training from the validation split (identity until then).
        self.register_buffer("calib_scale", torch.tensor(1.0))
        self.register_buffer("calib_bias", torch.tensor(0.0))
        self.register_buffer("threshold", torch.tensor(0.5))
        # Out-of-distribution statistics of the pooled features (Lee et al. 2018, "A simple unified
        # framework for detecting out-of-distribution samples"): class means, shared precision
        # matrix and the distance above which an input is flagged; fitted after training.
        self.register_buffer("ood_means", torch.zeros(cfg.num_classes, w3))
        self.register_buffer("ood_precision", torch.eye(w3))
        self.register_buffer("ood_threshold", torch.tensor(float("inf")))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``[N, widths[-1]]`` (used by the out-of-distribution score)."""
        x = (x - self.config.mean) / self.config.std
        return self.pool(self.features(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.embed(x)))

    def ood_score(self, features: torch.Tensor) -> torch.Tensor:
        """Smallest Mahalanobis distance ``[N]`` of pooled features ``[N, C]`` to a class mean."""
        d = features[:, None, :] - self.ood_means[None]  # [N, K, C]
        m = torch.einsum("nkc,cd,nkd->nk", d, self.ood_precision, d)
        return m.clamp_min(0).sqrt().min(dim=1).values

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        """Calibrated P(pneumonia) ``[N]`` from logits ``[N, 2]``."""
        z = logits[:, 1] - logits[:, 0]
        return torch.sigmoid(self.calib_scale * z + self.calib_bias)
