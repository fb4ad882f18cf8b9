"""The lab's three CNNs, each with switchable dropout and batch normalisation.

- ``lenet5``: LeNet-5 (LeCun et al. 1998) in its modern form: ReLU and max pooling instead of
  tanh and subsampling, 6 and 16 5x5 filters, dense 120-84-classes.
- ``vgg``: a small VGG (Simonyan & Zisserman 2015): two blocks of two 3x3 convolutions (32, 64
  filters) with max pooling, dense 128, classes.
- ``resnet``: a small ResNet (He et al. 2016): a 3x3 stem and three basic residual blocks
  (16, 32, 64 filters, strides 1, 2, 2), global average pooling, classes.

Dropout is :class:`LabDropout`, which draws its masks from a ``torch.Generator`` the trainer gives
it, so a run is reproducible from its seed even while other threads use torch's global RNG.
Weights are initialised with :func:`init_weights` from the same kind of local generator.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["LabDropout", "build_model", "count_parameters", "init_weights", "set_dropout_generator"]


class LabDropout(nn.Module):
    """Inverted dropout (Srivastava et al. 2014) whose masks come from ``self.generator``.

    In ``eval()`` it is the identity. ``generator`` must live on the input's device; ``None``
    falls back to torch's global RNG.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {p}")
        self.p = p
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=self.generator)
        return x * keep / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _dropout(p: float) -> nn.Module:
    return LabDropout(p) if p > 0 else nn.Identity()


def _conv(cin: int, cout: int, k: int, *, batch_norm: bool, stride: int = 1, padding: int = 0) -> list[nn.Module]:
    # With batch norm the conv bias is redundant (BN's shift replaces it).
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(cout))
    return layers


class LeNet5(nn.Module):
    def __init__(self, *, in_channels: int, num_classes: int, image_size: int, dropout: float,
                 batch_norm: bool) -> None:
        super().__init__()
        side = ((image_size // 2) - 4) // 2  # conv5 pad 2 -> pool 2 -> conv5 -> pool 2
        self.features = nn.Sequential(
            *_conv(in_channels, 6, 5, padding=2, batch_norm=batch_norm), nn.ReLU(), nn.MaxPool2d(2),
            *_conv(6, 16, 5, batch_norm=batch_norm), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), _dropout(dropout),
            nn.Linear(16 * side * side, 120), nn.ReLU(), _dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(), _dropout(dropout),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class SmallVGG(nn.Module):
    def __init__(self, *, in_channels: int, num_classes: int, image_size: int, dropout: float,
                 batch_norm: bool) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [*_conv(cin, cout, 3, padding=1, batch_norm=batch_norm), nn.ReLU(),
                    *_conv(cout, cout, 3, padding=1, batch_norm=batch_norm), nn.ReLU(), nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(in_channels, 32), *block(32, 64))
        side = image_size // 4
        self.classifier = nn.Sequential(
            nn.Flatten(), _dropout(dropout), nn.Linear(64 * side * side, 128), nn.ReLU(),
            _dropout(dropout), nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """He et al. (2016) basic block: two 3x3 convolutions and a shortcut (1x1 when shapes change)."""

    def __init__(self, cin: int, cout: int, *, stride: int, batch_norm: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv(cin, cout, 3, stride=stride, padding=1, batch_norm=batch_norm), nn.ReLU(),
            *_conv(cout, cout, 3, padding=1, batch_norm=batch_norm),
        )
        self.shortcut = (nn.Identity() if stride == 1 and cin == cout else
                         nn.Sequential(*_conv(cin, cout, 1, stride=stride, batch_norm=batch_norm)))
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, *, in_channels: int, num_classes: int, image_size: int, dropout: float,
                 batch_norm: bool) -> None:
        super().__init__()
        del image_size  # global average pooling makes the head size-independent
        self.features = nn.Sequential(
            *_conv(in_channels, 16, 3, padding=1, batch_norm=batch_norm), nn.ReLU(),
            BasicBlock(16, 16, stride=1, batch_norm=batch_norm),
            BasicBlock(16, 32, stride=2, batch_norm=batch_norm),
            BasicBlock(32, 64, stride=2, batch_norm=batch_norm),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), _dropout(dropout), nn.Linear(64, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


_MODELS = {"lenet5": LeNet5, "vgg": SmallVGG, "resnet": SmallResNet}


def init_weights(model: nn.Module, *, generator: torch.Generator) -> nn.Module:
    """Re-initialise ``model`` from ``generator`` (PyTorch's default schemes, local RNG).

    Conv/Linear: ``kaiming_uniform_(a=sqrt(5))`` and a bias uniform in +-1/sqrt(fan_in), as
    ``nn.Conv2d.reset_parameters`` does; BatchNorm: weight 1, bias 0.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            if m.bias is not None:
                bound = 1.0 / math.sqrt(m.weight[0].numel())
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()  # weight 1, bias 0, running stats 0/1, batch count 0
    return model


def build_model(name: str, *, in_channels: int, num_classes: int, image_size: int,
                dropout: float = 0.0, batch_norm: bool = False, seed: int = 0) -> nn.Module:
    """A fresh lab model on the CPU, initialised from ``seed`` (a local generator).

    Args:
        name: ``"lenet5"``, ``"vgg"`` or ``"resnet"``.
        in_channels: 1 (grey) or 3 (RGB); ``image_size``: input side in pixels (28 or 32).
        dropout: rate of the dropout layers in the classifier; 0 leaves none.
        batch_norm: insert BatchNorm2d after every convolution.
    """
    if name not in _MODELS:
        raise ValueError(f"unknown lab model {name!r}; choose from {', '.join(_MODELS)}")
    # Built on the meta device (no memory, no RNG draw), then given storage and initialised from
    # a local generator: torch's global RNG is neither read nor advanced.
    with torch.device("meta"):
        model = _MODELS[name](in_channels=in_channels, num_classes=num_classes, image_size=image_size,
                              dropout=dropout, batch_norm=batch_norm)
    model = model.to_empty(device="cpu")
    return init_weights(model, generator=torch.Generator().manual_seed(seed))


def set_dropout_generator(model: nn.Module, generator: torch.Generator | None) -> None:
    for m in model.modules():
        if isinstance(m, LabDropout):
            m.generator = generator


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
