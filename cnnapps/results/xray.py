"""XrayFindings: what the chest X-ray task returns (frozen, no tensors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DISCLAIMER", "XrayFindings"]

DISCLAIMER = ("Research demo, not a medical device: do not use it for diagnosis or treatment. "
              "The model was trained on 28 x 28 pixel paediatric chest radiographs (PneumoniaMNIST) "
              "and has not been validated on any other population.")


@dataclass(frozen=True, eq=False)
class XrayFindings:
    model_name: str
    device: str
    elapsed_ms: float  # preprocessing + forward (+ Grad-CAM when asked)
    labels: tuple[str, ...]  # ("normal", "pneumonia")
    probability: float  # calibrated P(pneumonia) (Platt scaling fitted on the validation split)
    threshold: float  # decision threshold on ``probability`` (Youden's J on the validation split)
    ood_score: float  # Mahalanobis distance of the image's features to the training data
    ood_threshold: float  # above it the image is flagged (99th percentile of validation images)
    warnings: tuple[str, ...]  # why this may not be a chest radiograph (features, metadata, colour)
    model_input: np.ndarray  # float32 [28, 28] in [0, 1]: what the model saw
    display: np.ndarray  # uint8 [H, W] the full radiograph as shown
    crop_box: tuple[int, int, int, int]  # the centre square of ``display`` that was resized
    heatmap: np.ndarray | None = None  # float32 [28, 28] Grad-CAM of "pneumonia", in [0, 1]
    file: str = ""

    @property
    def label(self) -> str:
        return self.labels[1] if self.probability >= self.threshold else self.labels[0]

    @property
    def out_of_distribution(self) -> bool:
        return bool(self.warnings)

    def rows(self) -> list[dict[str, Any]]:
        return [{
            "file": self.file, "label": self.label, "probability": round(self.probability, 4),
            "threshold": round(self.threshold, 4), "ood_score": round(self.ood_score, 3),
            "warning": " ".join(self.warnings), "model": self.model_name,
        }]
