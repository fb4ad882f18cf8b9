"""Detections: what :func:`cnnapps.detect` returns for one image (no tensors inside)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Detections", "YoloTrace"]


@dataclass(frozen=True, eq=False)
class YoloTrace:
    """How a one-stage YOLO detector reached its boxes, for the teaching overlay.

    heads: per YOLO head, (stride, grid_h, grid_w, anchors ((w, h) in input pixels)).
    objectness: per head, float32 [A, grid_h, grid_w] in [0, 1] (sigmoid of the objectness logit).
    input_size: (height, width) of the network input.
    candidates: float32 [K, 4] xyxy original pixels, every row above the score threshold
        before NMS; cand_scores [K]; cand_class_ids [K] (COCO ids); cand_cells int [K, 4]
        (head, anchor, y, x); suppressed_by int [K]: index into the final detections of the box
        that removed this candidate in NMS, -1 if kept or cut by max_det / class filter.
    kept: int [N]: for each final detection, its index into the candidates (its raw box).
    """

    heads: tuple[tuple[int, int, int, tuple[tuple[float, float], ...]], ...]
    objectness: tuple[np.ndarray, ...]
    input_size: tuple[int, int]
    candidates: np.ndarray
    cand_scores: np.ndarray
    cand_class_ids: np.ndarray
    cand_cells: np.ndarray
    suppressed_by: np.ndarray
    kept: np.ndarray


@dataclass(frozen=True, eq=False)
class Detections:
    """Boxes found in one image.

    boxes: float32 [N, 4] x1, y1, x2, y2 in pixels of the original image (not clipped: a box may
    reach a little past the border, as the models predict it); scores float32 [N] in [0, 1];
    class_ids int64 [N] in COCO's own category numbering (1..90, as in COCO annotation files);
    labels: class names, one per box; image_size: (width, height) of the original image;
    masks: bool [N, H, W] at the original size for instance-segmentation models, else None.
    Sorted by score, highest first.
    """

    model_name: str
    device: str
    elapsed_ms: float  # forward pass alone (synchronised); see total_ms for the whole call
    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    labels: tuple[str, ...]
    image_size: tuple[int, int]
    total_ms: float = 0.0  # preprocessing + forward + decoding + NMS
    input_size: tuple[int, int] | None = None  # (height, width) the model saw
    masks: np.ndarray | None = None
    trace: YoloTrace | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> dict[str, int]:
        """Boxes per class name, most frequent first."""
        return dict(Counter(self.labels).most_common())

    def rows(self) -> list[dict[str, Any]]:
        """One dict per box: class, score, x1, y1, x2, y2 (original pixels, 0.1 px)."""
        return [
            {
                "class": label,
                "score": round(float(score), 4),
                "x1": round(float(b[0]), 1),
                "y1": round(float(b[1]), 1),
                "x2": round(float(b[2]), 1),
                "y2": round(float(b[3]), 1),
            }
            for label, score, b in zip(self.labels, self.scores, self.boxes, strict=True)
        ]

    def coco_annotations(self, *, image_id: int, start_id: int = 1) -> list[dict[str, Any]]:
        """COCO results-style annotations: bbox [x, y, w, h] in pixels, category_id, score."""
        return [
            {
                "id": start_id + i,
                "image_id": image_id,
                "category_id": int(c),
                "bbox": [round(float(b[0]), 2), round(float(b[1]), 2),
                         round(float(b[2] - b[0]), 2), round(float(b[3] - b[1]), 2)],
                "area": round(float((b[2] - b[0]) * (b[3] - b[1])), 2),
                "score": round(float(s), 4),
                "iscrowd": 0,
            }
            for i, (b, s, c) in enumerate(zip(self.boxes, self.scores, self.class_ids, strict=True))
        ]


def coco_document(items: list[tuple[str, Detections]], categories: dict[int, str]) -> dict[str, Any]:
    """A COCO-format JSON document (images, annotations, categories) for named detections."""
    images, annotations = [], []
    for image_id, (name, det) in enumerate(items, start=1):
        images.append({"id": image_id, "file_name": name, "width": det.image_size[0], "height": det.image_size[1]})
        annotations += det.coco_annotations(image_id=image_id, start_id=len(annotations) + 1)
    used = sorted({a["category_id"] for a in annotations} | set(categories))
    return {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": c, "name": categories.get(c, str(c))} for c in used],
    }
