"""The chest X-ray task: ``xray(loaded, image_or_dicom) -> XrayFindings``.

One radiograph (PIL image, JPEG/PNG bytes or path, DICOM bytes or path, or a read
:class:`~cnnapps.medical.dicom.DicomImage`) -> MedMNIST-style 28 x 28 input
(:mod:`cnnapps.medical.xray_input`) -> calibrated P(pneumonia) against the threshold picked on the
validation split, an out-of-distribution check, and optionally Grad-CAM of "pneumonia".

"Not a chest radiograph" is decided by three independent checks, each a warning on the result:
the DICOM header (modality other than CR/DX, body part other than chest), colour (radiographs are
grayscale), and the Mahalanobis distance of the model's pooled features to the training images
(Lee et al. 2018), flagged above the 99th percentile of validation images. ``scripts/eval_xray.py``
measures how often each fires on real and non-radiograph samples.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from cnnapps.medical.dicom import DicomImage, read_dicom
from cnnapps.medical.xray_input import PreparedRadiograph, prepare_radiograph
from cnnapps.results.xray import XrayFindings

__all__ = ["is_dicom_bytes", "load_radiograph", "run_model", "xray"]

DICOM_SUFFIXES = (".dcm", ".dicom", ".dic")


def is_dicom_bytes(data: bytes) -> bool:
    return len(data) > 132 and data[128:132] == b"DICM"


def load_radiograph(src: Any, *, name: str | None = None) -> Image.Image | DicomImage:
    """A PIL image or a DicomImage from whatever the caller has (bytes, path, PIL, DicomImage)."""
    from cnnapps.images import load_image

    if isinstance(src, Image.Image | DicomImage):
        return src
    if isinstance(src, str | Path):
        path = Path(src)
        data = path.read_bytes() if path.is_file() else b""
        name = name or path.name
    else:
        data = bytes(src)
        name = name or "upload"
    if is_dicom_bytes(data) or (name or "").lower().endswith(DICOM_SUFFIXES):
        return read_dicom(data, name=name)
    return load_image(data)


def run_model(module: torch.nn.Module, prepared: PreparedRadiograph, *, device: torch.device
              ) -> tuple[float, float, float, float]:
    """(calibrated probability, threshold, ood score, ood threshold) for one prepared radiograph."""
    x = torch.from_numpy(prepared.model_input)[None, None].to(device)
    with torch.inference_mode():
        feats = module.embed(x)
        logits = module.classifier(feats)
        prob = float(module.probability(logits.float())[0])
        ood = float(module.ood_score(feats.float())[0])
    return prob, float(module.threshold), ood, float(module.ood_threshold)


def _cam(loaded: Any, prepared: PreparedRadiograph) -> np.ndarray:
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    from cnnapps.explain import cam_heatmap

    x = torch.from_numpy(prepared.model_input)[None, None].to(loaded.device)
    return cam_heatmap(loaded, x, [ClassifierOutputTarget(1)])


def xray(loaded: Any, image_or_dicom: Any, *, with_cam: bool = False, frame: int = 0,
         name: str | None = None) -> XrayFindings:
    """Classify one radiograph as normal / pneumonia with the calibrated threshold.

    Args:
        loaded: a :class:`~cnnapps.loaded.LoadedModel` of task "xray".
        image_or_dicom: PIL image, DicomImage, bytes or path (DICOM recognised by its "DICM"
            marker or a .dcm suffix).
        with_cam: add a Grad-CAM map [28, 28] of the "pneumonia" logit (under ``loaded.exclusive()``).
        frame: which frame of a multi-frame DICOM.
    """
    start = time.perf_counter()
    src = load_radiograph(image_or_dicom, name=name)
    prepared = prepare_radiograph(src, frame=frame)
    with loaded.shared():
        prob, threshold, ood, ood_t = run_model(loaded.module, prepared, device=loaded.device)
    warnings = list(prepared.warnings)
    if ood > ood_t:
        warnings.append(f"The image does not look like the chest radiographs the model was trained on "
                        f"(feature distance {ood:.1f} > {ood_t:.1f}); treat the answer as meaningless.")
    heat = _cam(loaded, prepared) if with_cam else None
    labels = tuple(loaded.spec.labels or ("normal", "pneumonia"))
    return XrayFindings(
        model_name=loaded.spec.name, device=str(loaded.device),
        elapsed_ms=1000.0 * (time.perf_counter() - start), labels=labels, probability=prob,
        threshold=threshold, ood_score=ood, ood_threshold=ood_t, warnings=tuple(warnings),
        model_input=prepared.model_input, display=prepared.display, crop_box=prepared.crop_box,
        heatmap=heat, file=name or (src.name if isinstance(src, DicomImage) else ""),
    )
