"""The aspect-ratio bound before a shorter-side resize (issue 13: a 100000x1 PNG would need ~20 GB)."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from cnnapps.errors import InvalidImage
from cnnapps.images import load_image
from cnnapps.preprocess import MAX_ASPECT, heatmap_canvas, model_view, to_input
from cnnapps.registry import get_spec


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (120, 40, 200)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def test_a_100000x1_png_is_refused_before_resizing() -> None:
    data = _png(100_000, 1)
    assert len(data) < 2000  # tiny file, huge resize: the case from the issue
    image = load_image(data)
    pre = get_spec("resnet18").preprocessing  # shorter side -> 256, then crop 224
    start = time.perf_counter()
    with pytest.raises(InvalidImage, match=r"100,000 x 1 pixels.*25:1") as err:
        to_input(image, pre)
    assert time.perf_counter() - start < 0.5
    assert "25,600,000 px long" in str(err.value)
    with pytest.raises(InvalidImage):
        heatmap_canvas(image, pre)  # the Grad-CAM canvas goes through the same resize


def test_tall_strips_are_refused_too_and_the_bound_is_inclusive() -> None:
    pre = get_spec("resnet18").preprocessing
    with pytest.raises(InvalidImage):
        model_view(Image.new("RGB", (10, 10 * int(MAX_ASPECT) + 10)), pre)
    ok = model_view(Image.new("RGB", (int(MAX_ASPECT) * 20, 20)), pre)  # exactly 25:1: a panorama
    assert ok.size == (224, 224)


def test_a_squashing_model_still_reads_the_strip() -> None:
    pre = get_spec("mobilenet_v2_tflite").preprocessing  # (224, 224) squash: no blow-up
    x = to_input(load_image(_png(100_000, 1)), pre)
    assert tuple(x.shape) == (1, 3, 224, 224)
