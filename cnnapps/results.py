"""Frozen result dataclasses that tasks return and pages render (no torch tensors inside)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BatchRow", "Classification", "Prediction"]


@dataclass(frozen=True)
class Prediction:
    label: str
    index: int  # class index in the model's output
    probability: float  # softmax probability in [0, 1]


@dataclass(frozen=True)
class Classification:
    """Top-k of one image, plus what the page shows beside it."""

    model_name: str
    top: tuple[Prediction, ...]  # sorted by probability, highest first
    forward_ms: float  # wall time of the forward pass alone (device synchronised)
    device: str  # e.g. "cpu", "cuda:0"
    heatmap: np.ndarray | None = None  # float32 [H, W] in [0, 1], input resolution, or None

    @property
    def best(self) -> Prediction:
        return self.top[0]


@dataclass(frozen=True)
class BatchRow:
    """One line of the many-files results table (CSV download)."""

    file: str
    top1: str
    probability: float
    error: str = ""  # the human message when this file could not be read
