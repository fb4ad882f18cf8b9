"""Pictures for the explorer: arrays -> PIL images (no Streamlit). Colour maps from matplotlib."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["enlarge", "feature_grid", "filter_grid", "receptive_field_overlay", "to_image"]


def _colormap(values: np.ndarray, cmap: str) -> np.ndarray:
    from matplotlib import colormaps

    return (colormaps[cmap](np.clip(values, 0, 1))[..., :3] * 255).astype(np.uint8)


def to_image(values: np.ndarray, *, cmap: str | None = None, symmetric: bool = False) -> Image.Image:
    """A 2-D array as an image, scaled to its own range (``symmetric``: 0 in the middle, for signed
    outputs such as an edge filter's, with a diverging colour map)."""
    v = np.asarray(values, dtype=np.float32)
    if symmetric:
        m = float(np.abs(v).max()) or 1.0
        scaled = 0.5 + 0.5 * v / m
        return Image.fromarray(_colormap(scaled, cmap or "RdBu_r"))
    lo, hi = float(v.min()), float(v.max())
    scaled = np.zeros_like(v) if hi - lo < 1e-12 else (v - lo) / (hi - lo)
    if cmap is None:
        return Image.fromarray(np.uint8(np.round(scaled * 255)), mode="L")
    return Image.fromarray(_colormap(scaled, cmap))


def enlarge(image: Image.Image, *, min_side: int = 224) -> Image.Image:
    """Nearest-neighbour upscaling so small maps show their pixels (e.g. 5x5 -> 225x225)."""
    factor = max(1, int(np.ceil(min_side / max(1, min(image.size)))))
    return image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)


def feature_grid(maps: np.ndarray, channels: Sequence[int], *, columns: int = 8, cell: int = 96,
                 cmap: str = "viridis", gap: int = 4) -> Image.Image:
    """Channels of ``maps`` [C, h, w], each normalised on its own range, tiled in a grid."""
    n = max(1, len(channels))
    columns = max(1, min(columns, n))
    rows = (n + columns - 1) // columns
    grid = Image.new("RGB", (columns * (cell + gap) - gap, rows * (cell + gap) - gap), (255, 255, 255))
    for k, c in enumerate(channels):
        tile = to_image(maps[c], cmap=cmap).resize((cell, cell), Image.Resampling.NEAREST)
        grid.paste(tile, ((k % columns) * (cell + gap), (k // columns) * (cell + gap)))
    return grid


def filter_grid(filters: np.ndarray, *, columns: int = 16, cell: int = 40, gap: int = 3) -> Image.Image:
    """First-layer filters ([N, k, k, 3] RGB or [N, k, k] grey, in [0, 1]) tiled, pixels kept sharp."""
    n = filters.shape[0]
    columns = max(1, min(columns, n))
    rows = (n + columns - 1) // columns
    grid = Image.new("RGB", (columns * (cell + gap) - gap, rows * (cell + gap) - gap), (255, 255, 255))
    for k in range(n):
        f = np.uint8(np.round(np.clip(filters[k], 0, 1) * 255))
        tile = Image.fromarray(f, mode="RGB" if f.ndim == 3 else "L").convert("RGB")
        grid.paste(tile.resize((cell, cell), Image.Resampling.NEAREST),
                   ((k % columns) * (cell + gap), (k // columns) * (cell + gap)))
    return grid


def receptive_field_overlay(view: np.ndarray, influence: np.ndarray, box: tuple[int, int, int, int],
                            *, min_side: int = 336) -> Image.Image:
    """The model's input with the unit's influence (red, by |gradient|) and its bounding box."""
    v = np.asarray(view, dtype=np.float32)
    if v.ndim == 2:
        v = np.repeat(v[..., None], 3, axis=2)
    v = (v - v.min()) / max(1e-6, float(v.max() - v.min()))
    heat = np.sqrt(np.clip(influence, 0, 1))[..., None]
    red = np.array([1.0, 0.1, 0.1], dtype=np.float32)
    mixed = v * (1 - 0.7 * heat) + red * 0.7 * heat
    image = Image.fromarray(np.uint8(np.round(mixed * 255)))
    factor = max(1, int(np.ceil(min_side / min(image.size))))
    image = image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)
    top, left, bottom, right = box
    ImageDraw.Draw(image).rectangle(
        [left * factor, top * factor, (right + 1) * factor - 1, (bottom + 1) * factor - 1],
        outline=(255, 200, 0), width=max(2, factor // 2))
    return image
