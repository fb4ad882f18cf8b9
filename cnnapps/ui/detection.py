"""Streamlit helpers of the detection page: cached inference and per-session video results.

Caching follows ARCHITECTURE.md: the model runs once per (model, device, photo digest, input
size) through :func:`cnnapps.tasks.detect.infer`; thresholds, class filter and max detections
are applied afterwards by ``refine`` (display settings never recompute the model).
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image

from cnnapps.images import load_image
from cnnapps.results.detection import Detections, coco_document
from cnnapps.tasks.detect import infer

__all__ = ["annotated_png", "cached_infer", "cached_photo", "coco_json"]


@st.cache_data(max_entries=64, show_spinner=False)
def cached_photo(digest: str, data: bytes) -> np.ndarray:
    """Decoded RGB photo (EXIF-rotated, checked) as uint8 [H, W, 3]; keyed by the file's digest."""
    del digest  # part of the cache key only
    return np.asarray(load_image(data))


@st.cache_data(max_entries=64, show_spinner=False)
def cached_infer(
    model_name: str, device: str, digest: str, input_size: int | None, _loaded: Any, _image: np.ndarray
) -> Detections:
    """Every candidate box of one photo (before NMS and thresholds); one forward pass per key."""
    del model_name, device, digest  # cache key
    return infer(_loaded, _image, conf=0.0, input_size=input_size)


def annotated_png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def coco_json(items: list[tuple[str, Detections]]) -> bytes:
    from cnnapps.coco import coco_categories

    cats = {i: n for i, n in enumerate(coco_categories()) if n not in ("__background__", "N/A")}
    return json.dumps(coco_document(items, cats), indent=1).encode()
