"""Image classification results: top-k of a softmax head, or the findings of a sigmoid head."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnapps.results.base import Row

__all__ = ["Classification", "Prediction"]


@dataclass(frozen=True)
class Prediction:
    label: str
    index: int  # class index in the model's output
    probability: float  # softmax probability (single-label) or sigmoid score (multi-label), [0, 1]


@dataclass(frozen=True)
class Classification:
    """Top-k of one image, plus what the page shows beside it.

    With ``multi_label`` the probabilities are independent sigmoid scores (several findings can
    be present at once) and need not sum to 1.
    """

    model_name: str
    device: str
    elapsed_ms: float  # the forward pass alone (device synchronised)
    top: tuple[Prediction, ...]  # sorted by probability, highest first
    multi_label: bool = False
    heatmap: np.ndarray | None = None  # float32 [H, W] in [0, 1] at input resolution, or None

    @property
    def best(self) -> Prediction:
        return self.top[0]

    def rows(self) -> list[Row]:
        return [
            {"rank": rank, "label": p.label, "index": p.index, "probability": round(p.probability, 6)}
            for rank, p in enumerate(self.top, start=1)
        ]
