"""Digits the MNIST way: a drawing or a photo of one digit -> the 28x28 input LeNet-5 expects.

MNIST's own recipe (LeCun & Cortes, the MNIST page; LeCun et al. 1998 section III.A): "the images
were size normalized to fit in a 20x20 pixel box while preserving their aspect ratio ... centered
in a 28x28 image by computing the center of mass of the pixels, and translating the image so as
to position this point at the center of the 28x28 field". :func:`mnist_style` does exactly that,
after turning a photo (dark ink on light paper) into light ink on a dark background.

Pure NumPy + Pillow: no torch, no Streamlit.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from cnnapps.errors import InvalidInput

__all__ = ["EmptyDigit", "dataset_split", "mnist_style"]

_FIELD, _BOX = 28, 20  # MNIST: digit fitted into 20x20, centred by mass in 28x28


class EmptyDigit(InvalidInput):
    """The image has no ink (a blank canvas, a uniform photo)."""


def _ink(image: Image.Image, *, invert: bool | None) -> np.ndarray:
    """Greyscale float ink map in [0, 1] (1 = ink), background suppressed."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        # A drawing canvas gives strokes on a transparent background: composite on black so that
        # transparent pixels are background whatever colour they hide.
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(black, rgba)
        if invert is None:
            invert = False
    grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    if invert is None:
        # Photos and scans are dark ink on light paper; MNIST is light ink on black. The border
        # is almost all background, so its median says which one this is.
        border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
        invert = float(np.median(border)) > 0.5
    if invert:
        grey = 1.0 - grey
    # Threshold away paper texture, shadows and JPEG noise: keep what is clearly darker/lighter
    # than the background level (Otsu-free: background median + a margin of the ink range).
    background = float(np.median(grey))
    peak = float(np.percentile(grey, 99.5))
    if peak - background < 0.15:
        return np.zeros_like(grey)
    level = background + 0.35 * (peak - background)
    ink = np.clip((grey - level) / max(1e-6, peak - level), 0.0, 1.0)
    return ink


def mnist_style(image: Image.Image, *, invert: bool | None = None) -> np.ndarray:
    """One digit image (any size, any mode) -> float32 ``[28, 28]`` in [0, 1], ink = 1, MNIST-centred.

    Args:
        image: a PIL image of one digit: a canvas drawing (RGBA strokes on transparent or black),
            a 28x28 MNIST digit, or a photo/scan of a dark digit on light paper.
        invert: True for dark ink on a light background, False for light on dark; None decides
            from the image border.

    Raises:
        EmptyDigit: nothing that looks like ink was found.
    """
    ink = _ink(image, invert=invert)
    rows, cols = np.nonzero(ink > 0.05)
    if rows.size == 0:
        raise EmptyDigit("No digit found in the image: draw or upload a single digit, dark on light "
                         "or light on dark.")
    crop = ink[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    h, w = crop.shape
    scale = _BOX / max(h, w)  # the longer side becomes 20 px, aspect ratio kept
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    pil = Image.fromarray(np.uint8(np.round(crop * 255)), mode="L")
    box = np.asarray(pil.resize((new_w, new_h), Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    box = np.clip(box, 0.0, 1.0)
    # Paste by the centre of mass: the mass centre goes to the field's centre (14, 14).
    total = float(box.sum())
    ys, xs = np.indices(box.shape)
    cy, cx = float((ys * box).sum() / total), float((xs * box).sum() / total)
    top, left = round(_FIELD / 2 - cy - 0.5), round(_FIELD / 2 - cx - 0.5)
    top = min(max(top, 0), _FIELD - new_h)
    left = min(max(left, 0), _FIELD - new_w)
    field = np.zeros((_FIELD, _FIELD), dtype=np.float32)
    field[top: top + new_h, left: left + new_w] = box
    return field


def dataset_split(labels: np.ndarray, *, test_fraction: float, val_fraction: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded stratified split of indices into (train, val, test), each sorted.

    Per class: shuffle with ``numpy.random.default_rng(seed)``, the first ``round(n * test)`` go to
    test, the next ``round(n * val)`` to validation, the rest to training. The MNIST files here
    are sorted by class, so stratifying per class also keeps every class in every split.
    """
    rng = np.random.default_rng(seed)
    train, val, test = [], [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        n_test, n_val = round(idx.size * test_fraction), round(idx.size * val_fraction)
        test.append(idx[:n_test])
        val.append(idx[n_test: n_test + n_val])
        train.append(idx[n_test + n_val:])
    return tuple(np.sort(np.concatenate(part)) for part in (train, val, test))  # type: ignore[return-value]
