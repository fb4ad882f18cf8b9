"""One lab run: data -> fresh model -> training with the chosen cures -> :class:`LabRun`.

The loop is the lab's own rather than :func:`cnnapps.training.fit` because the lab needs three
things a generic fit does not give: a stop that takes effect after the current *batch* (the page's
stop button), train metrics measured cleanly (eval mode, no augmentation, no dropout: otherwise a
cure would "shrink the gap" just by handicapping the training-set measurement), and the L1 term
in the loss. It uses the same :class:`~cnnapps.training.callbacks.Callback` hooks.

Seeding is local: one ``torch.Generator`` per run (on the run's device) drives shuffling,
augmentation and dropout; the initial weights come from a CPU generator seeded with the same
seed. torch's global RNG is never seeded or read, so runs in other threads cannot disturb it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnapps.device import autocast
from cnnapps.lab.config import LabConfig
from cnnapps.lab.data import Batches, LabData, load_dataset
from cnnapps.lab.models import build_model, count_parameters, set_dropout_generator
from cnnapps.training.callbacks import Callback, FitState

__all__ = ["LabRun", "evaluate_batches", "l1_penalty", "make_lab_optimizer", "train_lab"]


@dataclass
class LabRun:
    """What a run leaves behind: plain numbers, the config and the trained weights (on the CPU)."""

    config: LabConfig
    history: list[dict[str, float]] = field(default_factory=list)  # one row per finished epoch
    best_epoch: int = 0  # 1-based epoch whose weights the model ends with (0: none finished)
    restored_best: bool = False  # True when early stopping put the best epoch's weights back
    stopped_early: bool = False  # early stopping ended the run before config.epochs
    stopped_by_user: bool = False
    final: dict[str, float] = field(default_factory=dict)  # metrics of the returned weights
    state_dict: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)
    device: str = "cpu"
    n_params: int = 0
    seconds: float = 0.0
    data_source: str = ""

    @property
    def gap(self) -> float | None:
        """Generalisation gap of the returned weights: train accuracy - val accuracy, in points."""
        if "train_accuracy" not in self.final:
            return None
        return self.final["train_accuracy"] - self.final["val_accuracy"]

    def rows(self) -> list[dict[str, Any]]:
        """The history as CSV rows (epoch, losses, accuracies in %, seconds since start)."""
        return [{"epoch": int(r["epoch"]), **{k: round(v, 6) for k, v in r.items() if k != "epoch"}}
                for r in self.history]

    def summary(self) -> dict[str, Any]:
        c = self.config
        return {"model": c.model, "dataset": c.dataset, "train_size": c.train_size,
                "cures": ", ".join(c.cures) or "none", "epochs_run": len(self.history),
                "best_epoch": self.best_epoch,
                "train_acc": round(self.final.get("train_accuracy", float("nan")), 2),
                "val_acc": round(self.final.get("val_accuracy", float("nan")), 2),
                "gap": round(self.gap, 2) if self.gap is not None else None,
                "val_loss": round(self.final.get("val_loss", float("nan")), 4),
                "seconds": round(self.seconds, 1),
                "stopped": "by user" if self.stopped_by_user else ("early" if self.stopped_early else "")}


def _copy_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def l1_penalty(model: nn.Module) -> torch.Tensor:
    """Sum of |w| over the conv and linear weights (not biases or batch-norm parameters)."""
    terms = [m.weight.abs().sum() for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    return torch.stack(terms).sum()


def make_lab_optimizer(model: nn.Module, config: LabConfig) -> torch.optim.Optimizer:
    params = list(model.parameters())
    if config.optimizer == "adam":  # L2 added to the gradient ("coupled")
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":  # decoupled weight decay (Loshchilov & Hutter 2019)
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)


@torch.inference_mode()
def evaluate_batches(model: nn.Module, batches: Batches, *, device: torch.device) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (%) over ``batches`` in eval mode (training mode restored)."""
    was_training = model.training
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in batches:
        with autocast(device):
            logits = model(x)
        loss_sum += F.cross_entropy(logits.float(), y, reduction="sum").item()
        correct += int((logits.argmax(1) == y).sum())
        count += len(y)
    model.train(was_training)
    return loss_sum / max(1, count), 100.0 * correct / max(1, count)


def train_lab(config: LabConfig, *, device: torch.device | str = "cpu", data: LabData | None = None,
              data_path: Path | None = None, callbacks: Sequence[Callback] = ()) -> LabRun:
    """Train a fresh lab model as ``config`` says; returns the history and the final weights.

    Args:
        device: chosen by the caller (the app's or CLI's edge). On CUDA the forward passes run
            under fp16 autocast with a gradient scaler (mixed precision).
        data: an already loaded split (the tour reuses one); otherwise loaded from ``config``.
        callbacks: ``on_batch_end`` may set ``state.stop`` to end the run after that batch
            (a user's stop); ``on_epoch_end`` sees ``state.metrics``.

    Without early stopping the model ends with its last epoch's weights (the overfit state the
    tour shows); with it, training stops after ``early_stopping`` epochs without a lower
    validation loss and the lowest-val-loss epoch's weights are restored.
    """
    device = torch.device(device)
    start = time.perf_counter()
    if data is None:
        data = load_dataset(config.dataset, train_size=config.train_size, val_size=config.val_size,
                            seed=config.seed, path=data_path)
    model = build_model(config.model, in_channels=data.channels, num_classes=len(data.labels),
                        image_size=data.image_size, dropout=config.dropout,
                        batch_norm=config.batch_norm, seed=config.seed).to(device)
    gen = torch.Generator(device=device).manual_seed(config.seed)
    set_dropout_generator(model, gen)
    common = {"mean": data.mean, "std": data.std, "device": device}
    train_batches = Batches(data.x_train, data.y_train, batch_size=config.batch_size, shuffle=True,
                            augment=config.augment, generator=gen, **common)
    # Clean passes for the metrics: no shuffling, no augmentation (and eval mode: no dropout).
    train_eval = Batches(data.x_train, data.y_train, batch_size=256, **common)
    val_eval = Batches(data.x_val, data.y_val, batch_size=256, **common)
    optimizer = make_lab_optimizer(model, config)
    scaler = torch.amp.GradScaler(device.type, enabled=device.type == "cuda")
    run = LabRun(config=config, device=str(device), n_params=count_parameters(model), data_source=data.source)
    state = FitState(epochs=config.epochs, steps=len(train_batches))
    best_loss, bad_epochs = float("inf"), 0
    best_state: dict[str, torch.Tensor] | None = None
    last_state: dict[str, torch.Tensor] | None = None
    for cb in callbacks:
        cb.on_fit_start(state)
    try:
        for epoch in range(1, config.epochs + 1):
            state.epoch, state.step = epoch, 0
            model.train()
            fit_sum, seen = 0.0, 0
            for x, y in train_batches:
                optimizer.zero_grad(set_to_none=True)
                with autocast(device):
                    loss = F.cross_entropy(model(x).float(), y)
                if config.l1:
                    loss = loss + config.l1 * l1_penalty(model)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                batch_loss = loss.item()  # one device sync per step
                fit_sum += batch_loss * len(y)
                seen += len(y)
                state.step += 1
                state.global_step += 1
                for cb in callbacks:
                    cb.on_batch_end(state, batch_loss)
                if state.stop:
                    break
            if state.stop and state.step < state.steps:
                run.stopped_by_user = True  # a half epoch is not an epoch: it is not recorded
                if last_state is not None:
                    model.load_state_dict(last_state)
                break
            train_loss, train_acc = evaluate_batches(model, train_eval, device=device)
            val_loss, val_acc = evaluate_batches(model, val_eval, device=device)
            row = {"epoch": float(epoch), "train_loss": train_loss, "train_accuracy": train_acc,
                   "val_loss": val_loss, "val_accuracy": val_acc, "fit_loss": fit_sum / max(1, seen),
                   "seconds": time.perf_counter() - start}
            run.history.append(row)
            state.metrics = dict(row)
            # A user's stop mid-epoch returns to this epoch's weights, already measured: no extra pass.
            last_state = _copy_state(model)
            if val_loss < best_loss:
                best_loss, bad_epochs, run.best_epoch = val_loss, 0, epoch
                if config.early_stopping:
                    best_state = last_state
            else:
                bad_epochs += 1
            for cb in callbacks:
                cb.on_epoch_end(state)
            if config.early_stopping and bad_epochs >= config.early_stopping:
                run.stopped_early = epoch < config.epochs
                break
            if state.stop:
                run.stopped_by_user = epoch < config.epochs
                break
        if best_state is not None and run.history and run.best_epoch != len(run.history):
            model.load_state_dict(best_state)
            run.restored_best = True
        if not run.restored_best:
            run.best_epoch = len(run.history)  # the weights returned are the last epoch's
        if run.history:  # the returned weights are one recorded epoch's: reuse its measurements
            row = run.history[run.best_epoch - 1]
            run.final = {k: row[k] for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")}
        run.state_dict = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    finally:
        run.seconds = time.perf_counter() - start
        for cb in callbacks:
            cb.on_fit_end(state)
        # Drop every device tensor of this run now (the page keeps only run.state_dict on the CPU).
        del model, optimizer, train_batches, train_eval, val_eval, best_state, last_state
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return run
