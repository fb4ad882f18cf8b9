"""MNIST-style preprocessing of a drawn or photographed digit (cnnapps.digits)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnnapps.digits import EmptyDigit, dataset_split, mnist_style


def _drawn_one(size: int = 280, *, dark_on_light: bool = False, rgba: bool = False) -> Image.Image:
    """A thick off-centre vertical stroke, as a user draws a "1" in a corner of the canvas."""
    if rgba:
        im = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        ImageDraw.Draw(im).line([(60, 40), (70, 150)], fill=(255, 255, 255, 255), width=18)
        return im
    bg, ink = (255, 0) if dark_on_light else (0, 255)
    im = Image.new("L", (size, size), bg)
    ImageDraw.Draw(im).line([(60, 40), (70, 150)], fill=ink, width=18)
    return im.convert("RGB")


def _centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(a.shape)
    return float((ys * a).sum() / a.sum()), float((xs * a).sum() / a.sum())


@pytest.mark.parametrize("kind", ["light_on_dark", "dark_on_light", "rgba_canvas"])
def test_box_20_and_centre_of_mass_14(kind) -> None:
    im = _drawn_one(dark_on_light=kind == "dark_on_light", rgba=kind == "rgba_canvas")
    out = mnist_style(im)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0 and out.max() > 0.9
    rows, cols = np.nonzero(out > 0.05)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert max(height, width) in (20, 21)  # the longer side fills the 20-pixel box (+1 for resampling)
    assert width < height  # aspect ratio kept: a "1" stays thin
    cy, cx = _centre_of_mass(out)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0
    # The ink is where the stroke is, not the background: the corners stay empty.
    assert out[:3, :3].max() == 0 and out[-3:, -3:].max() == 0


def test_inverting_a_photo_gives_the_same_digit() -> None:
    a = mnist_style(_drawn_one(dark_on_light=False))
    b = mnist_style(_drawn_one(dark_on_light=True))
    assert np.abs(a - b).max() < 0.05


def test_paper_texture_is_thresholded_away() -> None:
    rng = np.random.default_rng(0)
    im = np.asarray(_drawn_one(dark_on_light=True), dtype=np.float32)
    im = np.clip(im * 0.8 + 30 + rng.normal(0, 8, im.shape), 0, 255).astype(np.uint8)  # grey, noisy paper
    out = mnist_style(Image.fromarray(im))
    cols = np.nonzero(out.max(axis=0) > 0.05)[0]
    assert cols.max() - cols.min() + 1 < 12  # still a thin "1", not a box of noise


def test_an_mnist_digit_keeps_its_shape() -> None:
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255
    out = mnist_style(Image.fromarray(digit))
    assert np.abs(out - digit / 255.0).mean() < 0.05


@pytest.mark.parametrize("value", [0, 255, 128])
def test_blank_images_are_a_clear_error(value) -> None:
    with pytest.raises(EmptyDigit, match="No digit"):
        mnist_style(Image.new("RGB", (100, 100), (value,) * 3))
    with pytest.raises(EmptyDigit):
        mnist_style(Image.new("RGBA", (100, 100), (0, 0, 0, 0)))


def test_dataset_split_is_stratified_seeded_and_disjoint() -> None:
    labels = np.repeat(np.arange(10), [101, 112, 99, 103, 98, 86, 101, 107, 94, 97])
    train, val, test = dataset_split(labels, test_fraction=0.2, val_fraction=0.1, seed=0)
    assert len(set(train) | set(val) | set(test)) == labels.size
    assert not (set(train) & set(test)) and not (set(val) & set(test)) and not (set(train) & set(val))
    for c in range(10):
        n = (labels == c).sum()
        assert (labels[test] == c).sum() == round(n * 0.2)
    again = dataset_split(labels, test_fraction=0.2, val_fraction=0.1, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again, strict=True))
    other = dataset_split(labels, test_fraction=0.2, val_fraction=0.1, seed=1)
    assert not np.array_equal(test, other[2])
