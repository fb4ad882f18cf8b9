"""Chest X-ray models (issue 10): our PneumoniaMNIST CNN, trained, calibrated and bundled here.

The file carries its calibration (Platt scaling), decision threshold and out-of-distribution
statistics as buffers; ``cnnapps/weights/NOTICE.md`` gives its data, licence, sha256 and metrics.
Reproduce: ``scripts/train_xray.py`` (3 seeds) -> ``scripts/bundle_xray.py`` -> ``scripts/eval_xray.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from cnnapps.models.xray_cnn import XrayCNN
from cnnapps.registry import CamConfig, ModelMeta, ModelSpec, WeightsSource, register

__all__: list[str] = []

_MEDMNIST = ("Yang, J. et al. (2023). MedMNIST v2: A large-scale lightweight benchmark for 2D and 3D "
             "biomedical image classification. Scientific Data 10, 41. Source images: Kermany, D. S. "
             "et al. (2018). Cell 172(5), 1122-1131.")


def _load(paths: Mapping[str, Path]) -> XrayCNN:
    model = XrayCNN()
    # weights_only=True: tensors only (house rule 5); strict: calibration and OOD buffers included.
    model.load_state_dict(torch.load(paths["model"], map_location="cpu", weights_only=True))
    return model.eval()


# Values printed by scripts/bundle_xray.py (size, sha256) and scripts/eval_xray.py (metrics).
SHA256 = "4fac10a43ac3714689a583988a07043c914c8c4d6e03b316f8f1ebb845ace1a1"
SIZE = 1232773
METRICS: dict[str, float] = {
    "test ACC (%)": 94.23, "test AUC (%)": 98.01, "test sensitivity (%)": 98.21,
    "test specificity (%)": 87.61, "test ECE (%)": 8.82,
}

register(ModelSpec(
    name="xray_pneumonia_cnn",
    task="xray",
    display_name="Pneumonia CNN, 28 x 28 (PneumoniaMNIST, trained here)",
    build=XrayCNN,
    load=_load,
    weights={"model": WeightsSource(filename="xray_pneumonia_cnn.pt", sha256=SHA256, bundled=True,
                                    size_bytes=SIZE)},
    head="softmax",
    labels=("normal", "pneumonia"),
    cam=CamConfig(target_layers=("features.block3",)),
    meta=ModelMeta(
        licence="Weights: trained here on PneumoniaMNIST (CC BY 4.0, MedMNIST v2).",
        citation=_MEDMNIST,
        description="6-conv VGG-style CNN on 28 x 28 grayscale input; class-weighted training, "
                    "EMA weights picked on val AUC, Platt-calibrated, threshold by Youden's J on val.",
        metrics=METRICS,
        caveat="Research demo, not for diagnosis. Trained on paediatric (1-5 years) radiographs "
               "from one hospital, at 28 x 28 pixels.",
    ),
    options={"input_size": 28},
))
