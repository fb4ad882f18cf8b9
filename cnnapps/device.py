"""Pick the device once, at the edge (house rule 5); inside the core the device follows the model."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

__all__ = ["autocast", "describe_device", "model_device", "resolve_device", "synchronise"]

ENV_VAR = "CNNAPPS_DEVICE"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(preference: str | None = None) -> torch.device:
    """``preference`` or ``$CNNAPPS_DEVICE`` if set (e.g. "cpu", "cuda:1"), else cuda > mps > cpu.

    An explicit request for a device that is not there raises ValueError rather than silently
    falling back, so a misconfigured GPU box is noticed.
    """
    wanted = preference or os.environ.get(ENV_VAR) or None
    if wanted:
        device = torch.device(wanted)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{ENV_VAR}/preference asks for {wanted!r} but CUDA is not available")
        if device.type == "mps" and not _mps_available():
            raise ValueError(f"{ENV_VAR}/preference asks for {wanted!r} but MPS is not available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device) -> str:
    """Human name for the sidebar: the GPU's name on CUDA."""
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({torch.get_num_threads()} threads)"


def model_device(model: torch.nn.Module) -> torch.device:
    """The device a model lives on (grad-cam's rule: the device follows the model)."""
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


@contextlib.contextmanager
def autocast(device: torch.device) -> Iterator[None]:
    """fp16 autocast on CUDA, nothing elsewhere (nanoGPT's ``nullcontext`` vs autocast split).

    CPU autocast would mean bfloat16, which is slower than fp32 on most laptop CPUs.
    """
    if device.type == "cuda":
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            yield
    else:
        yield


def synchronise(device: torch.device) -> None:
    """Wait for queued GPU work, so a timer measures the work and not its launch (CUDA is async)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
