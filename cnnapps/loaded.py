"""A loaded model, safe to share between sessions: what :func:`load` returns and every task takes.

``st.cache_resource`` hands one module to every user (ARCHITECTURE.md, "Shared models and hooks").
Plain inference on a module in eval mode under ``torch.inference_mode`` is thread-safe, but a
forward hook (Grad-CAM, feature maps) fires on *every* forward pass through the module, including
another session's: measured before this design, 8 threads mixing CAM and plain classification got
a third to a half of their heat maps wrong (the eagle's map came back as the dog's).

The handle therefore carries a shared/exclusive gate: plain forward passes hold it shared (any
number at once, so users never queue behind each other), and code that attaches hooks holds it
exclusively (no other forward pass runs while the hooks are on). We chose this over hooking a
private copy of the module because a copy doubles the memory of every explained model (553 MB
for VGG-16 on a 1 GB Community Cloud host) and its cost would be paid on every first CAM.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from cnnapps.device import autocast, resolve_device
from cnnapps.registry import ModelSpec, get_spec
from cnnapps.weights import Progress, resolve_weights

__all__ = ["LoadedModel", "SharedExclusiveLock", "load", "load_module"]


class SharedExclusiveLock:
    """A readers-writer lock that prefers writers (a waiting writer blocks new readers).

    The standard library has none; this is the textbook condition-variable version. Writer
    preference keeps a stream of plain inference from starving a Grad-CAM request.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model ready for inference: its spec, its module (eval, frozen) and its device.

    Never mutate ``module``: it may be shared by every session of a Streamlit server. Run it
    through :meth:`__call__` (or inside :meth:`shared`); attach hooks only inside
    :meth:`exclusive`.
    """

    spec: ModelSpec
    module: nn.Module
    device: torch.device
    _gate: SharedExclusiveLock = field(default_factory=SharedExclusiveLock, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    def shared(self) -> contextlib.AbstractContextManager[None]:
        """Hold while running the module without hooks; any number of threads at once."""
        return self._gate.shared()

    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        """Hold while hooks are attached: no other thread runs the module meanwhile."""
        return self._gate.exclusive()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Forward pass under the shared gate, ``inference_mode`` and the device's autocast.

        Tensor arguments are moved to the model's device; outputs stay there.
        """
        args = tuple(a.to(self.device) if isinstance(a, torch.Tensor) else a for a in args)
        with self.shared(), torch.inference_mode(), autocast(self.device):
            return self.module(*args, **kwargs)


def load_module(spec: ModelSpec, *, progress: Progress | None = None) -> nn.Module:
    """Resolve ``spec``'s weight files and build its CPU module (eval mode, not yet frozen)."""
    paths = resolve_weights(spec, progress=progress)
    if spec.load is not None:
        module = spec.load(paths)
    else:
        module = spec.build()
        module.load_state_dict(torch.load(paths["model"], map_location="cpu", weights_only=True))
    return module.eval()


def load(
    name: str,
    *,
    device: str | torch.device | None = None,
    progress: Progress | None = None,
) -> LoadedModel:
    """Load the registered model ``name`` on ``device`` (default: ``resolve_device()``).

    Weights are resolved in the fixed order of :mod:`cnnapps.weights` (bundled, cached, download
    with ``progress(done_bytes, total_bytes)``). Parameters are frozen (``requires_grad=False``):
    a loaded model is only used for inference and may be shared, so nothing may accumulate
    ``.grad`` in it.

    Raises:
        KeyError: no model of that name.
        WeightsUnavailable: offline and the weights are not bundled or cached.
    """
    spec = get_spec(name)
    target = device if isinstance(device, torch.device) else resolve_device(device)
    module = load_module(spec, progress=progress).to(target)
    module.requires_grad_(False)
    # Image classifiers and text CNNs: a faster exact stand-in (issue 13, cnnapps/accel.py).
    # Detectors, face and x-ray models keep their eager modules (variable input sizes, dict
    # outputs, own pipelines).
    if spec.preprocessing is not None and spec.task == "classification":
        from cnnapps.accel import accelerated

        pre = spec.preprocessing
        module = accelerated(module.eval(), input_size=pre.input_size, device=target, inplace=True,
                             cache_key=spec.name, channels=len(pre.mean))
    elif spec.task == "sentiment":
        from cnnapps.accel import accelerated_text_cnn

        module = accelerated_text_cnn(module, device=target, cache_key=spec.name)
    return LoadedModel(spec=spec, module=module.eval(), device=target)
