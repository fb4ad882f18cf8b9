"""LeNet-5 as in LeCun, Bottou, Bengio & Haffner (1998), "Gradient-based learning applied to
document recognition", Proc. IEEE 86(11), section II.B and Table I.

Paper-faithful parts:

- input 32x32: the 28x28 MNIST digit centred in a 32x32 field, with the background at -0.1 and
  the ink at 1.175 ("so that the mean input is roughly 0 and the variance roughly 1");
- C1: 6 maps, 5x5 convolution -> 28x28 (156 parameters);
- S2: trainable sub-sampling: the sum of each 2x2 block times one trainable coefficient plus one
  trainable bias per map, then the squashing function (12 parameters);
- C3: 16 maps, 5x5, each connected to a *subset* of S2's maps by Table I of the paper
  (1,516 parameters, not the 2,416 of a full connection);
- S4: trainable sub-sampling as S2 (32 parameters);
- C5: 120 maps, 5x5 over the 5x5 S4 maps, i.e. fully connected (48,120 parameters);
- F6: 84 units (10,164 parameters);
- the squashing function f(a) = A tanh(S a) with A = 1.7159 and S = 2/3 (Appendix A).

C1 to F6 hold 156 + 12 + 1,516 + 32 + 48,120 + 10,164 = **60,000** trainable parameters, the
"60,000 trainable parameters" of the paper. Deviation, documented: the paper's output layer is
a Euclidean RBF layer whose 84-dimensional centres are fixed 7x12 bitmaps of the characters
(not trained) with a special MAP loss. We use a trainable linear layer 84 -> 10 followed by a
softmax and cross-entropy (850 parameters), as nearly every modern re-implementation does. Total:
**60,850** parameters (tested in tests/test_lenet5.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["C3_TABLE", "LeNet5", "LeNet5Config", "lenet5"]

# Table I of LeCun et al. 1998: column j lists the S2 maps that C3 map j combines.
# Maps 0-5 take 3 contiguous maps, 6-11 take 4 contiguous, 12-14 take 4 non-contiguous, 15 all 6.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

_BACKGROUND, _INK = -0.1, 1.175  # input levels of section II.B


@dataclass
class LeNet5Config:
    num_classes: int = 10  # digits 0-9
    amplitude: float = 1.7159  # A in f(a) = A tanh(S a), Appendix A
    slope: float = 2.0 / 3.0  # S


class ScaledTanh(nn.Module):
    """f(a) = A tanh(S a) (LeCun et al. 1998, Appendix A): f(1) = 1, f(-1) = -1."""

    def __init__(self, amplitude: float, slope: float) -> None:
        super().__init__()
        self.amplitude, self.slope = amplitude, slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.amplitude * torch.tanh(self.slope * x)

    def extra_repr(self) -> str:
        return f"amplitude={self.amplitude:.4f}, slope={self.slope:.4f}"


class Subsampling(nn.Module):
    """S2/S4: per map, (sum of a 2x2 block) * coefficient + bias: 2 trainable parameters per map."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), 0.25))  # starts as the block average
        self.bias = nn.Parameter(torch.zeros(channels))
        self.kernel_size, self.stride, self.padding = 2, 2, 0  # read by layer tables

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        summed = 4.0 * F.avg_pool2d(x, kernel_size=2, stride=2)
        return summed * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"channels={self.weight.numel()}, kernel_size=2, stride=2"


class SparseConv(nn.Module):
    """C3: output map j sees only the input maps ``table[j]``.

    Built from grouped convolutions, one per fan-in size, over the inputs gathered in table order,
    so the module holds exactly the table's weights (1,516 for Table I) and no masked zeros.
    """

    def __init__(self, table: tuple[tuple[int, ...], ...], kernel_size: int) -> None:
        super().__init__()
        self.table = table
        self.out_channels = len(table)
        self.kernel_size, self.stride, self.padding = kernel_size, 1, 0
        groups: dict[int, list[int]] = {}
        for j, inputs in enumerate(table):
            groups.setdefault(len(inputs), []).append(j)
        self.convs = nn.ModuleList()
        order: list[int] = []
        for fan_in, outs in sorted(groups.items()):
            index = torch.tensor([i for j in outs for i in table[j]], dtype=torch.long)
            self.register_buffer(f"index_{fan_in}", index, persistent=False)
            self.convs.append(nn.Conv2d(fan_in * len(outs), len(outs), kernel_size, groups=len(outs)))
            order.extend(outs)
        # Outputs come grouped by fan-in; put map j back in position j.
        self.register_buffer("unpermute", torch.argsort(torch.tensor(order)), persistent=False)
        self._fan_ins = sorted(groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = [conv(x[:, getattr(self, f"index_{k}")])
                 for k, conv in zip(self._fan_ins, self.convs, strict=True)]
        return torch.cat(parts, dim=1)[:, self.unpermute]

    def extra_repr(self) -> str:
        return f"out_channels={self.out_channels}, kernel_size={self.kernel_size}, table=LeCun1998-TableI"


class LeNet5(nn.Module):
    """Input ``[B, 1, 28, 28]`` float in [0, 1], ink = 1 (an MNIST digit; ``[B, 3, 28, 28]`` is
    averaged to grey); output logits ``[B, 10]``."""

    def __init__(self, config: LeNet5Config | None = None) -> None:
        super().__init__()
        cfg = config or LeNet5Config()
        self.config = cfg
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)  # 32x32 -> 28x28
        self.act1 = ScaledTanh(cfg.amplitude, cfg.slope)
        self.s2 = Subsampling(6)  # -> 14x14
        self.act2 = ScaledTanh(cfg.amplitude, cfg.slope)
        self.c3 = SparseConv(C3_TABLE, kernel_size=5)  # -> 10x10
        self.act3 = ScaledTanh(cfg.amplitude, cfg.slope)
        self.s4 = Subsampling(16)  # -> 5x5
        self.act4 = ScaledTanh(cfg.amplitude, cfg.slope)
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)  # -> 1x1
        self.act5 = ScaledTanh(cfg.amplitude, cfg.slope)
        self.flatten = nn.Flatten()
        self.f6 = nn.Linear(120, 84)
        self.act6 = ScaledTanh(cfg.amplitude, cfg.slope)
        self.output = nn.Linear(84, cfg.num_classes)  # replaces the paper's fixed RBF layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 3:
            # An RGB tensor of a digit (the app's generic image path, e.g. a warm-up pass): grey.
            x = x.mean(dim=1, keepdim=True)
        # [0, 1] -> the paper's levels, then centre the 28x28 digit in a 32x32 background field.
        x = x * (_INK - _BACKGROUND) + _BACKGROUND
        x = F.pad(x, (2, 2, 2, 2), value=_BACKGROUND)
        x = self.act2(self.s2(self.act1(self.c1(x))))
        x = self.act4(self.s4(self.act3(self.c3(x))))
        x = self.act5(self.c5(x))
        x = self.act6(self.f6(self.flatten(x)))
        return self.output(x)


def lenet5(config: LeNet5Config | None = None) -> LeNet5:
    """LeNet-5 with random weights (no file, no network)."""
    return LeNet5(config)
