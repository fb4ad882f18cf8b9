"""Hooks that :func:`cnnapps.training.fit` calls (Lightning's callback idea, without the dependency).

A callback reads the :class:`FitState` it is given; it may set ``state.stop = True`` to end the fit
after the current epoch. Nothing here prints: a page or a CLI decides how to show progress.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Callback", "EarlyStopping", "FitProgress", "FitState", "ProgressCallback"]


@dataclass
class FitState:
    """Mutable state of one fit, shared with the callbacks."""

    epoch: int = 0  # 1-based epoch being run / just finished
    epochs: int = 0  # planned epochs
    step: int = 0  # batches done in this epoch
    steps: int = 0  # batches per epoch
    global_step: int = 0
    metrics: dict[str, float] = field(default_factory=dict)  # latest epoch's metrics
    stop: bool = False


@dataclass(frozen=True)
class FitProgress:
    """What a progress display needs: fraction done in [0, 1] and a one-line message."""

    fraction: float
    epoch: int
    epochs: int
    step: int
    steps: int
    loss: float | None
    metrics: dict[str, float]
    message: str


class Callback:
    """Base class: override the hooks you need (all default to no-ops)."""

    def on_fit_start(self, state: FitState) -> None: ...
    def on_batch_end(self, state: FitState, loss: float) -> None: ...
    def on_epoch_end(self, state: FitState) -> None: ...
    def on_fit_end(self, state: FitState) -> None: ...


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (validation-based)."""

    def __init__(
        self, *, monitor: str = "val_accuracy", mode: Literal["max", "min"] = "max",
        patience: int = 5, min_delta: float = 0.0,
    ) -> None:
        self.monitor, self.mode, self.patience, self.min_delta = monitor, mode, patience, min_delta
        self.best = -math.inf if mode == "max" else math.inf
        self.bad_epochs = 0

    def on_epoch_end(self, state: FitState) -> None:
        value = state.metrics.get(self.monitor)
        if value is None:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}; metrics are {sorted(state.metrics)}")
        better = value > self.best + self.min_delta if self.mode == "max" else value < self.best - self.min_delta
        if better:
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
            if self.bad_epochs >= self.patience:
                state.stop = True


class ProgressCallback(Callback):
    """Turns the hooks into :class:`FitProgress` calls of ``fn`` (e.g. a Streamlit progress bar).

    ``every``: report every n batches (and at each epoch end), to keep UI updates cheap.
    """

    def __init__(self, fn: Callable[[FitProgress], None], *, every: int = 20) -> None:
        self.fn, self.every = fn, max(1, every)

    def _emit(self, state: FitState, loss: float | None, message: str) -> None:
        total = max(1, state.epochs * max(1, state.steps))
        done = (state.epoch - 1) * state.steps + state.step
        self.fn(FitProgress(min(1.0, done / total), state.epoch, state.epochs, state.step,
                            state.steps, loss, dict(state.metrics), message))

    def on_batch_end(self, state: FitState, loss: float) -> None:
        if state.step % self.every == 0:
            self._emit(state, loss, f"epoch {state.epoch}/{state.epochs}, batch {state.step}/{state.steps}, loss {loss:.4f}")

    def on_epoch_end(self, state: FitState) -> None:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in state.metrics.items())
        self._emit(state, state.metrics.get("train_loss"), f"epoch {state.epoch}/{state.epochs}: {shown}")
