"""Image classification: one photo -> top-k labels, timing and (optionally) a Grad-CAM map."""

from __future__ import annotations

import time

import torch
from PIL import Image

from cnnapps.device import synchronise
from cnnapps.explain import ClassifierOutputTarget, cam_heatmap
from cnnapps.images import ImageSource, as_image
from cnnapps.loaded import LoadedModel
from cnnapps.preprocess import to_input
from cnnapps.results import Classification, Prediction

__all__ = ["classify"]


def classify(
    loaded: LoadedModel,
    image: ImageSource,
    *,
    top_k: int = 5,
    with_cam: bool = False,
) -> Classification:
    """Classify one image with a classification model.

    Args:
        loaded: from :func:`cnnapps.load`; labels, preprocessing and CAM layers come from its spec.
        image: a path, encoded bytes or a PIL image, of any size and mode; it is decoded safely
            (:func:`cnnapps.images.as_image`) and resized by the spec's preprocessing first.
        top_k: how many classes to return (clamped to the number of labels).
        with_cam: also compute a Grad-CAM heat map for the top-1 class (one more forward and a
            backward pass, about 2-3x the cost of classification alone).

    Raises:
        InvalidImage: the input cannot be decoded (the message is for the user).
    """
    spec = loaded.spec
    if spec.preprocessing is None or spec.labels is None:
        raise TypeError(f"{spec.name} is not an image classifier (task {spec.task!r})")
    picture: Image.Image = as_image(image)
    x = to_input(picture, spec.preprocessing)
    synchronise(loaded.device)
    start = time.perf_counter()
    logits = loaded(x)
    synchronise(loaded.device)
    elapsed_ms = 1000.0 * (time.perf_counter() - start)
    multi_label = spec.head == "sigmoid"
    scores = (torch.sigmoid if multi_label else lambda t: torch.softmax(t, dim=1))(logits.float())[0]
    k = max(1, min(top_k, scores.numel()))
    values, indices = torch.topk(scores.cpu(), k)
    top = tuple(
        Prediction(label=spec.labels[i], index=i, probability=float(p))
        for p, i in zip(values.tolist(), indices.tolist(), strict=True)
    )
    heat = None
    if with_cam and spec.cam is not None:
        heat = cam_heatmap(loaded, x, [ClassifierOutputTarget(top[0].index)])
    return Classification(model_name=spec.name, device=str(loaded.device), elapsed_ms=elapsed_ms,
                          top=top, multi_label=multi_label, heatmap=heat)
