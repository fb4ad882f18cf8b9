"""Pictures and chart data from results: heat-map overlays and top-k tables (no Streamlit)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image
from pytorch_grad_cam.utils.image import show_cam_on_image

from cnnapps.results import Prediction

__all__ = ["overlay_heatmap", "predictions_table"]


def overlay_heatmap(image: Image.Image, heat: np.ndarray, *, alpha: float = 0.5) -> Image.Image:
    """Blend a [0, 1] heat map (jet colour map) over ``image``.

    Args:
        image: RGB image; the heat map is resized to it when sizes differ.
        heat: float array [H, W] in [0, 1].
        alpha: weight of the heat map, 0 (photo only) to 1 (heat map only).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    if heat.shape != rgb.shape[:2]:
        resized = Image.fromarray(heat.astype(np.float32), mode="F").resize(
            image.size, Image.Resampling.BILINEAR
        )
        heat = np.asarray(resized, dtype=np.float32)
    # grad-cam's helper applies OpenCV's JET map and blends; image_weight is the photo's share.
    blended = show_cam_on_image(rgb, np.clip(heat, 0.0, 1.0), use_rgb=True, image_weight=1.0 - alpha)
    return Image.fromarray(blended)


def predictions_table(top: Sequence[Prediction]) -> dict[str, list[object]]:
    """Columns for a table or bar chart: rank, label, probability (%)."""
    return {
        "rank": list(range(1, len(top) + 1)),
        "label": [p.label for p in top],
        "probability (%)": [round(100.0 * p.probability, 2) for p in top],
    }
