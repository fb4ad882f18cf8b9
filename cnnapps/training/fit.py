"""A generic supervised training loop: ``fit(model, train, val, config=...) -> History``.

The loop owns what every model shares (optimiser, evaluation, early stopping, keeping the best
weights, checkpointing, progress callbacks, mixed precision on CUDA); the model owns its forward
pass and any constraint applied after a step (``after_step``, e.g. Kim's max-norm). The caller
owns the device (chosen at the edge, house rule 5) and the data order (its own seeded
generator). No print, no Streamlit: a page calls :func:`fit` and watches it through a
:class:`~cnnapps.training.callbacks.Callback`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from cnnapps.device import autocast, model_device
from cnnapps.training.callbacks import Callback, EarlyStopping, FitState
from cnnapps.training.checkpoint import save_checkpoint

__all__ = ["FitConfig", "History", "evaluate", "fit", "make_optimizer"]

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass
class FitConfig:
    epochs: int = 25  # Kim trains 25 epochs
    optimizer: Literal["adadelta", "adam", "sgd"] = "adadelta"  # Kim: Adadelta (Zeiler 2012)
    lr: float = 1.0  # Adadelta's scale; use ~1e-3 for Adam
    rho: float = 0.95  # Adadelta decay (Kim: 0.95)
    eps: float = 1e-6  # Adadelta epsilon (Kim: 1e-6)
    weight_decay: float = 0.0
    patience: int | None = 5  # early stopping on the monitored validation metric; None = off
    monitor: str = "val_accuracy"
    mode: Literal["max", "min"] = "max"
    restore_best: bool = True  # end with the weights of the best validation epoch
    # Seeds dropout (torch's default generator) for this fit only: the generator's state is
    # forked and restored, so a fit never changes the process-wide RNG other code relies on.
    seed: int = 0
    mixed_precision: bool = True  # fp16 autocast + gradient scaling on CUDA; no effect elsewhere
    checkpoint_path: Path | None = None  # best model's state_dict is written here when set


@dataclass
class History:
    epochs: list[dict[str, float]] = field(default_factory=list)  # one metrics dict per epoch
    best_epoch: int = 0  # 1-based; 0 when never validated
    best_metric: float | None = None
    stopped_early: bool = False
    seconds: float = 0.0


def make_optimizer(params: Iterable[nn.Parameter], config: FitConfig) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if config.optimizer == "adadelta":
        return torch.optim.Adadelta(params, lr=config.lr, rho=config.rho, eps=config.eps,
                                    weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


@torch.inference_mode()
def evaluate(model: nn.Module, batches: Iterable[Batch], *, device: torch.device | None = None,
             prefix: str = "val_") -> dict[str, float]:
    """Mean cross-entropy and accuracy (%) of ``model`` over ``batches`` (eval mode restored after)."""
    was_training = model.training
    model.eval()
    if device is None:
        device = next(model.parameters()).device
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(dim=1) == y).sum().item()
        count += y.numel()
    model.train(was_training)
    if count == 0:
        return {}
    return {f"{prefix}loss": loss_sum / count, f"{prefix}accuracy": 100.0 * correct / count}


def fit(
    model: nn.Module,
    train: Iterable[Batch],
    val: Iterable[Batch] | None = None,
    *,
    config: FitConfig,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
    after_step: Callable[[], None] | None = None,
    callbacks: Sequence[Callback] = (),
    device: torch.device | str | None = None,
) -> History:
    """Train ``model`` in place on batches ``(x, y)``; returns the per-epoch :class:`History`.

    Args:
        model: a fresh module owned by the caller (never a model cached for other users).
        device: where to train; None keeps the model where it is. Batches follow the model.
        train: re-iterable batches (shuffled by the iterable itself); ``len(train)`` if available
            sizes the progress reports.
        val: validation batches; with ``config.patience`` it drives early stopping, and with
            ``config.restore_best`` the model ends with its best validation weights.
        after_step: called after every optimiser step (Kim's max-norm: ``model.apply_max_norm``).
        callbacks: progress and custom hooks; :class:`EarlyStopping` is added from the config.
    """
    if device is not None:
        model.to(device)
    device = model_device(model)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(config.seed)
        return _fit(model, train, val, config, loss_fn, after_step, callbacks, device)


def _fit(
    model: nn.Module,
    train: Iterable[Batch],
    val: Iterable[Batch] | None,
    config: FitConfig,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    after_step: Callable[[], None] | None,
    callbacks: Sequence[Callback],
    device: torch.device,
) -> History:
    optimizer = make_optimizer(model.parameters(), config)
    amp = config.mixed_precision and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    cbs: list[Callback] = list(callbacks)
    if val is not None and config.patience is not None:
        cbs.append(EarlyStopping(monitor=config.monitor, mode=config.mode, patience=config.patience))
    state = FitState(epochs=config.epochs, steps=len(train) if hasattr(train, "__len__") else 0)
    history = History()
    best_state: dict[str, Any] | None = None
    sign = 1.0 if config.mode == "max" else -1.0
    start = time.perf_counter()
    for cb in cbs:
        cb.on_fit_start(state)
    for epoch in range(1, config.epochs + 1):
        state.epoch, state.step = epoch, 0
        model.train()
        loss_sum, correct, count = 0.0, 0, 0
        for x, y in train:
            non_blocking = device.type == "cuda"  # pinned host batches copy asynchronously
            x, y = x.to(device, non_blocking=non_blocking), y.to(device, non_blocking=non_blocking)
            optimizer.zero_grad(set_to_none=True)
            if amp:
                with autocast(device):
                    logits = model(x)
                    loss = loss_fn(logits.float(), y)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                logits = model(x)
                loss = loss_fn(logits, y)
                loss.backward()
                optimizer.step()
            if after_step is not None:
                after_step()
            state.step += 1
            state.global_step += 1
            batch_loss = loss.item()  # one device sync per step, not one per use
            loss_sum += batch_loss * y.numel()
            correct += (logits.detach().argmax(dim=1) == y).sum().item()
            count += y.numel()
            for cb in cbs:
                cb.on_batch_end(state, batch_loss)
        state.steps = state.step
        metrics = {"train_loss": loss_sum / max(1, count), "train_accuracy": 100.0 * correct / max(1, count)}
        if val is not None:
            metrics.update(evaluate(model, val, device=device))
        metrics["seconds"] = time.perf_counter() - start
        state.metrics = metrics
        history.epochs.append(metrics)
        value = metrics.get(config.monitor)
        if value is not None and (history.best_metric is None or sign * value > sign * history.best_metric):
            history.best_metric, history.best_epoch = value, epoch
            if config.restore_best or config.checkpoint_path is not None:
                best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
            if config.checkpoint_path is not None:
                save_checkpoint({"state_dict": best_state, "epoch": epoch, "metrics": metrics},
                                config.checkpoint_path)
        for cb in cbs:
            cb.on_epoch_end(state)
        if state.stop:
            history.stopped_early = epoch < config.epochs
            break
    if config.restore_best and best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    for cb in cbs:
        cb.on_fit_end(state)
    return history
