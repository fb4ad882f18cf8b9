"""Face detection with five landmarks: facenet-pytorch's MTCNN (Zhang et al. 2016).

We call facenet-pytorch's ``detect_face`` with the P/R/O-nets of the loaded module rather than
``MTCNN.detect``: the device then follows the module's parameters (house rule 5) instead of the
``device`` attribute fixed at construction, and the shared module is never mutated.

With numpy 2, facenet-pytorch 2.5.3 builds its outputs with ``np.array(list_of_arrays)`` and can
return object arrays; :func:`_as_float` converts them (``np.asarray(x.tolist(), float)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from facenet_pytorch.models.utils.detect_face import detect_face

from cnnapps.results.faces import Face

__all__ = ["DetectOptions", "run_mtcnn"]


@dataclass(frozen=True)
class DetectOptions:
    min_probability: float = 0.9  # drop O-net scores below this (obama.jpg's false face is 0.815)
    min_face_size: int = 20  # pixels (MTCNN's default): smallest face the pyramid looks for
    max_faces: int = 50  # bound the work per photo: keep the largest faces
    # Detect on a copy whose longer side is at most this many pixels (None: full size): MTCNN's
    # pyramid cost grows with the pixel count; boxes and landmarks are scaled back, and alignment
    # uses the full-resolution photo.
    max_side: int | None = 1600
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)  # P/R/O-net stage thresholds
    factor: float = 0.709  # image pyramid scale step


def _as_float(x: object, shape: tuple[int, ...]) -> np.ndarray:
    if x is None:
        return np.zeros((0, *shape), dtype=np.float64)
    arr = np.asarray(x)
    if arr.dtype == object:
        arr = np.asarray(arr.tolist(), dtype=np.float64)
    return arr.astype(np.float64).reshape(-1, *shape)


def run_mtcnn(module: torch.nn.Module, rgb: np.ndarray, options: DetectOptions) -> list[Face]:
    """Faces in ``rgb`` (``[H, W, 3]`` uint8), largest first, at most ``options.max_faces``."""
    h, w = rgb.shape[:2]
    if min(h, w) < options.min_face_size:
        return []  # the pyramid would be empty (facenet-pytorch then fails in torch.cat)
    scale = 1.0
    image = rgb
    if options.max_side and max(h, w) > options.max_side:
        import cv2

        scale = options.max_side / max(h, w)
        image = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    device = next(module.parameters()).device
    with torch.inference_mode():
        boxes, points = detect_face(
            np.ascontiguousarray(image), options.min_face_size, module.pnet, module.rnet, module.onet,
            list(options.thresholds), options.factor, device,
        )
    boxes = _as_float(boxes[0], (5,))
    points = _as_float(points[0], (5, 2))
    faces = []
    for box, pts in zip(boxes, points, strict=True):
        prob = float(box[4])
        if prob < options.min_probability:
            continue
        x1, y1, x2, y2 = (float(v) / scale for v in box[:4])
        landmarks = tuple((float(x) / scale, float(y) / scale) for x, y in pts)
        faces.append(Face(box=(x1, y1, x2, y2), probability=prob, landmarks=landmarks))
    faces.sort(key=lambda f: f.width * f.height, reverse=True)
    return faces[: options.max_faces]
