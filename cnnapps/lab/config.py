"""What one lab run is: data, model, optimiser and the cures, as one dataclass of plain values.

The cures are the ones the overfitting article lists: data augmentation, dropout, batch
normalisation, weight decay (L2), an L1 penalty and early stopping. Every field is plain data,
so a config round-trips through JSON (the page's download, the CLI's ``config.json``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from cnnapps.errors import CnnappsError

__all__ = ["AUGMENTATIONS", "DATASETS", "LIMITS", "MODELS", "OPTIMIZERS", "InvalidLabConfig", "LabConfig"]

DATASETS = ("mnist", "pneumoniamnist", "fashion_mnist", "cifar10")
MODELS = ("lenet5", "vgg", "resnet")
OPTIMIZERS = ("adam", "sgd", "adamw")
# Each is a random transform applied per image, per batch (see cnnapps.lab.augment).
AUGMENTATIONS = ("shift", "rotate", "scale", "flip", "erase")

# Bounds on one run's work, so one user's run cannot starve the others (issue 12, "bound the work").
LIMITS = {"train_size": (20, 20_000), "val_size": (50, 5_000), "epochs": (1, 100),
          "batch_size": (8, 512)}


class InvalidLabConfig(CnnappsError, ValueError):
    """A lab setting out of range or unknown; the message names it and its allowed values."""


@dataclass(frozen=True)
class LabConfig:
    dataset: Literal["mnist", "pneumoniamnist", "fashion_mnist", "cifar10"] = "mnist"
    model: Literal["lenet5", "vgg", "resnet"] = "lenet5"
    train_size: int = 500  # training images; small on purpose: few examples provoke overfitting
    val_size: int = 1000  # held-out images (stratified, seeded) for validation curves
    epochs: int = 20
    optimizer: Literal["adam", "sgd", "adamw"] = "adam"
    lr: float = 1e-3  # Adam's usual default (Kingma & Ba 2015); ~0.05 for SGD with momentum 0.9
    batch_size: int = 32
    seed: int = 0  # seeds the split, the initial weights, shuffling, dropout and augmentation
    # --- cures ---
    augment: tuple[str, ...] = ()  # any of AUGMENTATIONS; () = none
    dropout: float = 0.0  # dropout rate before the classifier's dense layers; 0 = off
    batch_norm: bool = False  # BatchNorm after every convolution (Ioffe & Szegedy 2015)
    weight_decay: float = 0.0  # L2 on all weights, through the optimiser (decoupled for adamw)
    l1: float = 0.0  # coefficient of sum|w| over conv/linear weights, added to the loss
    early_stopping: int | None = None  # patience in epochs on val loss; restores the best epoch
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # free notes (page label...)

    def __post_init__(self) -> None:
        # The page and the CLI pass lists; keep the dataclass hashable and JSON-stable.
        object.__setattr__(self, "augment", tuple(dict.fromkeys(self.augment)))
        self.validate()

    def validate(self) -> None:
        def bad(msg: str) -> InvalidLabConfig:
            return InvalidLabConfig(f"Lab setting: {msg}")

        if self.dataset not in DATASETS:
            raise bad(f"data set {self.dataset!r} is not one of {', '.join(DATASETS)}")
        if self.model not in MODELS:
            raise bad(f"model {self.model!r} is not one of {', '.join(MODELS)}")
        if self.optimizer not in OPTIMIZERS:
            raise bad(f"optimiser {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise bad(f"{name.replace('_', ' ')} must be a whole number from {lo:,} to {hi:,} (got {value!r})")
        unknown = [a for a in self.augment if a not in AUGMENTATIONS]
        if unknown:
            raise bad(f"unknown augmentation {', '.join(unknown)}; choose from {', '.join(AUGMENTATIONS)}")
        if not 0.0 < self.lr <= 10.0:
            raise bad(f"learning rate must be in (0, 10] (got {self.lr})")
        if not 0.0 <= self.dropout < 1.0:
            raise bad(f"dropout rate must be in [0, 1) (got {self.dropout})")
        if self.weight_decay < 0 or self.l1 < 0:
            raise bad("weight decay and the L1 coefficient cannot be negative")
        if self.early_stopping is not None and not 1 <= self.early_stopping <= self.epochs:
            raise bad(f"early-stopping patience must be from 1 to the number of epochs (got {self.early_stopping})")

    @property
    def cures(self) -> tuple[str, ...]:
        """Short names of the cures switched on, e.g. ``("dropout 0.5", "early stop 3")``."""
        out = []
        if self.augment:
            out.append("augment " + "+".join(self.augment))
        if self.dropout:
            out.append(f"dropout {self.dropout:g}")
        if self.batch_norm:
            out.append("batch norm")
        if self.weight_decay:
            out.append(f"weight decay {self.weight_decay:g}")
        if self.l1:
            out.append(f"L1 {self.l1:g}")
        if self.early_stopping:
            out.append(f"early stop {self.early_stopping}")
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["augment"] = list(self.augment)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise InvalidLabConfig(f"Lab setting: unknown keys {', '.join(unknown)}")
        return cls(**{**d, "augment": tuple(d.get("augment", ()))})
