"""Yolo-Fastest 1.1 and 1.1-XL (dog-qiuqiu, COCO, 320x320) on our darknet reader.

The architecture comes from the bundled darknet ``.cfg`` (public domain, YOLO LICENSE v2); the
weights are our conversion of the darknet ``.weights`` to a PyTorch state dict
(``scripts/convert_yolo_fastest.py``). Pre- and post-processing follow the reference that
produced ``reference.json`` (OpenCV's darknet importer): a plain bilinear resize of the whole
image to the input size (no letterbox), RGB in [0, 1]; score = objectness x class probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import cv2
import numpy as np
import torch
from PIL import Image
from torch import Tensor

from cnnapps.models.darknet import Darknet, parse_cfg

__all__ = [
    "VARIANTS",
    "YoloCandidates",
    "build_yolo_fastest",
    "candidates",
    "preprocess",
]

VARIANTS = {"yolo-fastest-1.1": "yolo-fastest-1.1.cfg", "yolo-fastest-1.1-xl": "yolo-fastest-1.1-xl.cfg"}

# OpenCV's region layer zeroes class scores whose product with objectness is below 0.2 before
# anything else (opencv dnn region_layer.cpp, thresh 0.2 for darknet yolo layers); a lower
# user threshold would show boxes the reference never considered, so it is our floor too.
SCORE_FLOOR = 0.2


def build_yolo_fastest(variant: str) -> Darknet:
    """The network of ``variant`` ("yolo-fastest-1.1" | "yolo-fastest-1.1-xl"), random weights, eval()."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown Yolo-Fastest variant {variant!r}; choose from {sorted(VARIANTS)}")
    text = resources.files("cnnapps").joinpath("weights", VARIANTS[variant]).read_text()
    return Darknet(parse_cfg(text)).eval()


def preprocess(image: Image.Image | np.ndarray, size: int | tuple[int, int]) -> Tensor:
    """RGB image -> [1, 3, H, W] float32 in [0, 1], the whole image resized (no letterbox).

    ``cv2.resize`` with INTER_LINEAR reproduces ``cv2.dnn.blobFromImage`` of the reference
    exactly (Pillow's bilinear antialiases when shrinking and gives other pixels).
    """
    h, w = (size, size) if isinstance(size, int) else size
    arr = np.asarray(image, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an RGB image [H, W, 3], got {arr.shape}")
    resized = cv2.resize(arr, (w, h), interpolation=cv2.INTER_LINEAR)
    return torch.from_numpy(resized).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


@dataclass(frozen=True)
class YoloCandidates:
    """Rows of one image that pass the score threshold, before NMS.

    boxes [K, 4] xyxy as fractions of the image; scores [K]; class_ids [K] (0..79);
    rows [K] (the row index in the model output, see :class:`cnnapps.models.darknet.YoloHead`).
    """

    boxes: Tensor
    scores: Tensor
    class_ids: Tensor
    rows: Tensor


def candidates(out: Tensor, *, conf: float) -> YoloCandidates:
    """Threshold one image's decoded rows [R, 5 + C] (the model output without batch dim).

    score = objectness x class probability, the best class per row (as OpenCV's reference);
    rows whose best score is at most ``max(conf, SCORE_FLOOR)`` are dropped.
    """
    floor = max(conf, SCORE_FLOOR)
    # A class probability is at most 1, so a row whose objectness is at or below the floor cannot
    # pass it: score only the few rows left (the same result, without an [R, C] product).
    maybe = (out[:, 4] > floor).nonzero().squeeze(1)
    scores, class_ids = (out[maybe, 5:] * out[maybe, 4:5]).max(1)
    passed = (scores > floor).nonzero().squeeze(1)
    rows, scores, class_ids = maybe[passed], scores[passed], class_ids[passed]
    sel = out[rows]
    cx, cy, bw, bh = sel[:, 0], sel[:, 1], sel[:, 2], sel[:, 3]
    boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
    return YoloCandidates(boxes=boxes, scores=scores, class_ids=class_ids, rows=rows)
