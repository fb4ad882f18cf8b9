"""Training the chest X-ray CNN on PneumoniaMNIST with the project's loop (:func:`cnnapps.training.fit`).

What this module adds around ``fit`` (without changing it):

* batches augmented the way radiographs vary (:func:`augment`): small rotations, shifts and zoom,
  contrast / brightness / gamma; no vertical flips (an upside-down chest is not a chest radiograph)
  and no horizontal flips either (the heart sits on the left; flipping would teach dextrocardia);
* class weights in the loss: the shared train split holds 388 normal and 3,494 pneumonia images
  (826 of the official 1,214 normal images are missing, see ../shared/data/README.md);
* an exponential moving average of the weights (``torch.optim.swa_utils.AveragedModel``) updated
  after every step through ``fit``'s ``after_step``, standing in for a learning-rate decay that the
  loop does not offer; the checkpoint is the EMA model at the epoch of best validation AUC
  (:class:`BestEmaByAuc`), then Platt scaling and the decision threshold are fitted on validation.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from cnnapps.medical.metrics import binary_metrics, fit_platt, roc_auc, youden_threshold
from cnnapps.models.xray_cnn import XrayCNN, XrayCNNConfig
from cnnapps.training import Callback, FitConfig, FitState, fit

__all__ = ["AugmentConfig", "TrainConfig", "XrayBatches", "augment", "calibrate", "fit_ood", "load_npz", "predict",
           "train"]


@dataclass(frozen=True)
class AugmentConfig:
    rotate_deg: float = 10.0  # uniform in [-10, 10] degrees: patient positioning
    shift_px: float = 2.0  # uniform in [-2, 2] pixels of 28 (~7 % of the field)
    zoom: float = 0.10  # scale uniform in [0.9, 1.1]: source-detector distance, body size
    contrast: float = 0.20  # multiply deviations from the image mean by [0.8, 1.2]: exposure
    brightness: float = 0.08  # add [-0.08, 0.08]
    gamma: float = 0.25  # x ** exp(uniform[-0.25, 0.25]): detector response curves


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40  # the EMA checkpoint is picked on val AUC, so running long costs only time
    batch_size: int = 64
    lr: float = 1e-3  # Adam
    weight_decay: float = 1e-4
    ema_decay: float = 0.99  # per step; ~61 steps per epoch, so the average spans ~2 epochs
    seed: int = 0
    model: XrayCNNConfig = XrayCNNConfig()
    augment: AugmentConfig = AugmentConfig()


def load_npz(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{'train'|'val'|'test': (images uint8 [N, 28, 28], labels int64 [N])} from a MedMNIST npz."""
    with np.load(path) as d:
        return {s: (d[f"{s}_images"], d[f"{s}_labels"].reshape(-1).astype(np.int64))
                for s in ("train", "val", "test")}


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 [N, H, W] -> float32 [N, 1, H, W] in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0).unsqueeze(1)


def augment(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Random affine + intensity changes of a batch ``[N, 1, H, W]`` in [0, 1] (one draw per image)."""
    n, _, h, w = x.shape

    def u(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=generator)

    angle = u(-cfg.rotate_deg, cfg.rotate_deg) * math.pi / 180
    scale = u(1 - cfg.zoom, 1 + cfg.zoom)
    tx = u(-cfg.shift_px, cfg.shift_px) * 2 / w
    ty = u(-cfg.shift_px, cfg.shift_px) * 2 / h
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    c = u(1 - cfg.contrast, 1 + cfg.contrast).view(n, 1, 1, 1)
    b = u(-cfg.brightness, cfg.brightness).view(n, 1, 1, 1)
    x = ((x - mean) * c + mean + b).clamp(0, 1)
    g = torch.exp(u(-cfg.gamma, cfg.gamma)).view(n, 1, 1, 1)
    return x.clamp_min(1e-6).pow(g)


class XrayBatches:
    """Re-iterable (x, y) batches; shuffled and augmented from a seeded generator when training."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, *, batch_size: int,
                 augment_cfg: AugmentConfig | None = None, generator: torch.Generator | None = None):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.augment_cfg, self.generator = augment_cfg, generator

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.generator is not None:
            order = torch.randperm(len(self.y), generator=self.generator)
        else:
            order = torch.arange(len(self.y))
        for i in range(0, len(order), self.batch_size):
            idx = order[i:i + self.batch_size]
            xb = self.x[idx]
            if self.augment_cfg is not None and self.generator is not None:
                xb = augment(xb, self.augment_cfg, self.generator)
            yield xb, self.y[idx]


@torch.inference_mode()
def predict(model: torch.nn.Module, x: torch.Tensor, *, batch_size: int = 512) -> torch.Tensor:
    """Logits ``[N, 2]`` of ``model`` in eval mode."""
    model.eval()
    return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


class BestEmaByAuc(Callback):
    """Keeps the EMA weights of the epoch with the best validation AUC (ties: the later epoch)."""

    def __init__(self, ema: AveragedModel, x_val: torch.Tensor, y_val: np.ndarray) -> None:
        self.ema, self.x_val, self.y_val = ema, x_val, y_val
        self.best_auc, self.best_epoch, self.best_state = -1.0, 0, None
        self.log: list[dict[str, float]] = []

    def on_epoch_end(self, state: FitState) -> None:
        logits = predict(self.ema.module, self.x_val)
        auc = roc_auc(self.y_val, (logits[:, 1] - logits[:, 0]).numpy())
        self.log.append({"epoch": state.epoch, "ema_val_auc": auc, **state.metrics})
        if auc >= self.best_auc:
            self.best_auc, self.best_epoch = auc, state.epoch
            self.best_state = copy.deepcopy(self.ema.module.state_dict())


@torch.inference_mode()
def calibrate(model: XrayCNN, x_val: torch.Tensor, y_val: np.ndarray):
    """Fit Platt scaling, then the Youden threshold, on the validation split; set them on the model.

    Returns (scale, bias, threshold, validation metrics)."""
    logits = predict(model, x_val)
    z = (logits[:, 1] - logits[:, 0]).numpy()
    a, b = fit_platt(y_val, z)
    model.calib_scale.fill_(a)
    model.calib_bias.fill_(b)
    prob_val = model.probability(logits).numpy()
    t = youden_threshold(y_val, prob_val)
    model.threshold.fill_(t)
    return a, b, t, binary_metrics(y_val, prob_val, threshold=t)


def train(data: dict[str, tuple[np.ndarray, np.ndarray]], config: TrainConfig
          ) -> tuple[XrayCNN, dict]:
    """Train one seed; returns the model with its calibration and threshold set, and a report."""
    torch.manual_seed(config.seed)  # the model's initial weights
    model = XrayCNN(config.model)
    x_tr, y_tr = to_tensor(data["train"][0]), torch.from_numpy(data["train"][1])
    x_val, y_val = to_tensor(data["val"][0]), data["val"][1]
    counts = torch.bincount(y_tr, minlength=2).float()
    class_weight = counts.sum() / (2 * counts)  # "balanced": normal x5.0, pneumonia x0.56
    gen = torch.Generator().manual_seed(config.seed + 1)
    train_batches = XrayBatches(x_tr, y_tr, batch_size=config.batch_size,
                                augment_cfg=config.augment, generator=gen)
    val_batches = XrayBatches(x_val, torch.from_numpy(y_val), batch_size=512)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay), use_buffers=True)
    keeper = BestEmaByAuc(ema, x_val, y_val)
    fit_cfg = FitConfig(epochs=config.epochs, optimizer="adam", lr=config.lr,
                        weight_decay=config.weight_decay, patience=None, restore_best=False,
                        seed=config.seed)
    history = fit(model, train_batches, val_batches, config=fit_cfg,
                  loss_fn=lambda logits, y: F.cross_entropy(logits, y, weight=class_weight),
                  after_step=lambda: ema.update_parameters(model), callbacks=[keeper], device="cpu")
    model.load_state_dict(keeper.best_state)
    model.eval()
    # Calibration and threshold on validation (the test split is only read by the eval script).
    a, b, t, val = calibrate(model, x_val, y_val)
    report = {"config": asdict(config), "best_epoch": keeper.best_epoch, "val_auc": keeper.best_auc,
              "calib_scale": a, "calib_bias": b, "threshold": t, "val": asdict(val),
              "seconds": history.seconds, "epochs": keeper.log}
    return model, report


@torch.inference_mode()
def fit_ood(model: XrayCNN, x_train: torch.Tensor, y_train: np.ndarray, x_val: torch.Tensor, *,
            quantile: float = 0.99) -> float:
    """Set the model's Mahalanobis OOD statistics from the (unaugmented) train features; the flag
    threshold is the ``quantile`` of the validation distances (so ~1 % of real val images are
    flagged). Returns the threshold."""
    model.eval()
    feats = torch.cat([model.embed(x_train[i:i + 512]) for i in range(0, len(x_train), 512)]).double()
    y = torch.from_numpy(np.asarray(y_train))
    means = torch.stack([feats[y == k].mean(0) for k in range(model.config.num_classes)])
    centred = feats - means[y]
    cov = centred.T @ centred / len(feats)
    cov += 1e-3 * cov.diagonal().mean() * torch.eye(cov.shape[0], dtype=cov.dtype)  # shrinkage
    model.ood_means.copy_(means.float())
    model.ood_precision.copy_(torch.linalg.inv(cov).float())
    val_scores = model.ood_score(model.embed(x_val)).numpy()
    t = float(np.quantile(val_scores, quantile))
    model.ood_threshold.fill_(t)
    return t
