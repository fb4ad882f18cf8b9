"""Image classification: one photo -> top-k labels, timing and (optionally) a Grad-CAM map."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import torch
from PIL import Image

from cnnapps.device import autocast, model_device
from cnnapps.errors import CnnappsError
from cnnapps.explain import grad_cam
from cnnapps.images import load_image
from cnnapps.preprocess import to_input
from cnnapps.registry import ModelSpec
from cnnapps.results import BatchRow, Classification, Prediction

__all__ = ["classify", "classify_files"]


def _synchronise(device: torch.device) -> None:
    # CUDA runs asynchronously: without this the timer measures the launch, not the work.
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def classify(
    model: torch.nn.Module,
    image: Image.Image,
    *,
    spec: ModelSpec,
    top_k: int = 5,
    with_cam: bool = False,
) -> Classification:
    """Classify one RGB image with ``model`` (built from ``spec``).

    Args:
        model: the loaded classifier, eval mode, on any device (inputs follow it).
        image: RGB PIL image of any size; it is resized by ``spec.preprocessing`` first.
        spec: gives labels, preprocessing and the Grad-CAM target layer.
        top_k: how many classes to return (clamped to the number of labels).
        with_cam: also compute a Grad-CAM heat map for the top-1 class (one more forward and
            a backward pass; about 2-3x the cost of classification alone).
    """
    if spec.preprocessing is None:
        raise ValueError(f"{spec.name} is not an image model")
    device = model_device(model)
    x = to_input(image, spec.preprocessing).to(device)
    with torch.inference_mode(), autocast(device):
        _synchronise(device)
        start = time.perf_counter()
        logits = model(x)
        _synchronise(device)
        elapsed_ms = 1000.0 * (time.perf_counter() - start)
    probs = torch.softmax(logits.float(), dim=1)[0]
    k = max(1, min(top_k, probs.numel()))
    values, indices = torch.topk(probs, k)
    top = tuple(
        Prediction(label=spec.labels[i], index=i, probability=float(p))
        for p, i in zip(values.tolist(), indices.tolist(), strict=True)
    )
    heat = None
    if with_cam and spec.target_layer:
        heat = grad_cam(model, x, target_layer=spec.target_layer, class_index=top[0].index)
    return Classification(
        model_name=spec.name, top=top, forward_ms=elapsed_ms, device=str(device), heatmap=heat
    )


def classify_files(
    model: torch.nn.Module,
    files: Iterable[tuple[str, bytes]],
    *,
    spec: ModelSpec,
    progress: Callable[[int, str], None] | None = None,
) -> list[BatchRow]:
    """Top-1 for many uploaded files; a bad file becomes a row with its error, not a crash.

    ``progress(i, name)`` is called after the i-th file (1-based), for a progress bar.
    """
    rows: list[BatchRow] = []
    for i, (name, data) in enumerate(files, start=1):
        try:
            best = classify(model, load_image(data), spec=spec, top_k=1).best
            rows.append(BatchRow(file=name, top1=best.label, probability=best.probability))
        except CnnappsError as err:
            rows.append(BatchRow(file=name, top1="", probability=float("nan"), error=str(err)))
        if progress:
            progress(i, name)
    return rows
