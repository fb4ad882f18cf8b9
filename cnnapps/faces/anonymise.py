"""Blur or pixelate faces in a photo (or a video frame).

The region is the detector's box grown by :data:`MARGIN` on each side, because MTCNN's box stops
at the eyebrows and chin and leaves hair and ears recognisable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import cv2
import numpy as np

from cnnapps.results.faces import Face

__all__ = ["MARGIN", "Method", "anonymise_array"]

Method = Literal["blur", "pixelate"]
MARGIN = 0.2  # fraction of the box size added on every side


def _region(face: Face, width: int, height: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = face.box
    mx, my = MARGIN * (x2 - x1), MARGIN * (y2 - y1)
    return (max(0, int(x1 - mx)), max(0, int(y1 - my)),
            min(width, int(np.ceil(x2 + mx))), min(height, int(np.ceil(y2 + my))))


def anonymise_array(
    rgb: np.ndarray, faces: Sequence[Face], *, method: Method = "blur", strength: int = 5
) -> np.ndarray:
    """A copy of ``rgb`` (``[H, W, 3]`` uint8) with every face blurred or pixelated.

    ``strength`` 1..10: blur sigma is ``strength / 20`` of the face width (10 -> half a face);
    pixelation leaves ``max(2, 16 - 1.4 * strength)`` blocks across the face (10 -> 2 blocks).
    """
    if method not in ("blur", "pixelate"):
        raise ValueError(f"method must be 'blur' or 'pixelate', not {method!r}")
    strength = int(np.clip(strength, 1, 10))
    out = np.array(rgb, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    for face in faces:
        x1, y1, x2, y2 = _region(face, w, h)
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        patch = out[y1:y2, x1:x2]
        if method == "blur":
            sigma = max(1.0, strength / 20 * (x2 - x1))
            blurred = cv2.GaussianBlur(patch, (0, 0), sigmaX=sigma, sigmaY=sigma,
                                       borderType=cv2.BORDER_REPLICATE)
            # An ellipse with a soft edge instead of a hard rectangle: faces are oval, and the
            # feathering hides where the blur ends. The ellipse (90 % of the grown region) still
            # covers the whole detector box, which is the inner 71 % of the region.
            ph, pw = patch.shape[:2]
            mask = np.zeros((ph, pw), dtype=np.float32)
            cv2.ellipse(mask, (pw // 2, ph // 2), (max(1, round(0.45 * pw)), max(1, round(0.45 * ph))),
                        0, 0, 360, 1.0, -1)
            mask = cv2.GaussianBlur(mask, (0, 0), sigmaX=max(1.0, 0.04 * pw))[..., None]
            out[y1:y2, x1:x2] = (patch * (1 - mask) + blurred * mask).round().astype(np.uint8)
        else:
            blocks = max(2, round(16 - 1.4 * strength))
            bw, bh = blocks, max(2, round(blocks * (y2 - y1) / (x2 - x1)))
            small = cv2.resize(patch, (bw, bh), interpolation=cv2.INTER_AREA)
            out[y1:y2, x1:x2] = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
    return out
