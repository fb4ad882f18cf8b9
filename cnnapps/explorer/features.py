"""Inside a loaded model: feature maps of any layer, first-layer filters, the receptive field of a unit.

Hooks on a shared model (house rule 6, Core v2 contract): :func:`feature_maps` and
:func:`receptive_field` attach a forward hook only inside ``loaded.exclusive()`` (no other thread
runs the module meanwhile) and remove it in a ``finally``, so repeated calls never grow the
module's hook list, and another user's forward pass never sees our hook. The module itself is
never changed (eval mode and weights untouched; gradients are taken w.r.t. the input only).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnapps.errors import InvalidInput

__all__ = [
    "FeatureMaps",
    "ReceptiveField",
    "UnknownLayer",
    "conv_layers",
    "feature_maps",
    "feature_maps_all",
    "first_layer_filters",
    "model_input",
    "receptive_field",
]


class UnknownLayer(InvalidInput):
    """The layer name is not a module of this model (the message lists a few that are)."""


@dataclass(frozen=True)
class FeatureMaps:
    """The output of one layer for one image (batch axis removed)."""

    model_name: str
    device: str
    elapsed_ms: float
    layer: str
    maps: np.ndarray  # float32 [C, h, w] (a [C] vector is returned as [C, 1, 1])
    order: tuple[int, ...]  # channel indices, strongest mean activation first
    input_view: np.ndarray  # what the model saw, for display: float32 [H, W, 3] or [H, W] in [0, 1]

    def normalised(self, channel: int) -> np.ndarray:
        """One map scaled to [0, 1] on its own range (per-channel normalisation)."""
        m = self.maps[channel]
        lo, hi = float(m.min()), float(m.max())
        return np.zeros_like(m) if hi - lo < 1e-12 else (m - lo) / (hi - lo)

    def rows(self) -> list[dict[str, Any]]:
        return [{"channel": int(c), "mean": float(self.maps[c].mean()), "max": float(self.maps[c].max())}
                for c in self.order]


@dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels influence one unit: the support of d unit / d input for this image."""

    layer: str
    channel: int
    row: int
    col: int
    box: tuple[int, int, int, int]  # (top, left, bottom, right), inclusive, in input pixels
    influence: np.ndarray  # float32 [H, W] in [0, 1]: |gradient| summed over colour channels, scaled

    @property
    def size(self) -> tuple[int, int]:
        return (self.box[2] - self.box[0] + 1, self.box[3] - self.box[1] + 1)


def model_input(spec: Any, image: Image.Image) -> tuple[torch.Tensor, np.ndarray]:
    """The model's input tensor ``[1, C, H, W]`` (CPU) for ``image``, and a displayable view of it
    (float32 ``[H, W, 3]`` or ``[H, W]`` in [0, 1]), by the spec's preprocessing (for digit models
    the MNIST-style centring of :class:`cnnapps.zoo.digits.MnistPreprocessing`)."""
    from cnnapps.preprocess import model_view, to_input

    if spec.preprocessing is None:
        raise UnknownLayer(f"{spec.name} is not an image model")
    x = to_input(image, spec.preprocessing)
    if x.shape[1] == 1 or (getattr(spec, "options", None) or {}).get("input") == "mnist":
        return x, x[0, 0].numpy().copy()  # a grey digit (replicated in 3 channels for digit models)
    return x, np.asarray(model_view(image, spec.preprocessing), dtype=np.float32) / 255.0


def conv_layers(module: nn.Module) -> list[str]:
    """Dotted names of the layers worth looking inside: convolutions, activations after them,
    pooling and sub-sampling (execution order is the registration order)."""
    wanted = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.ReLU, nn.ReLU6, nn.Hardswish, nn.SiLU)
    names = []
    for name, m in module.named_modules():
        if not name:
            continue
        if isinstance(m, wanted) or type(m).__name__ in ("ScaledTanh", "Subsampling", "SparseConv"):
            if any(name.startswith(n + ".") for n in names if type(module.get_submodule(n)).__name__ == "SparseConv"):
                continue
            names.append(name)
    return names


def _submodule(module: nn.Module, layer: str) -> nn.Module:
    try:
        return module.get_submodule(layer)
    except AttributeError:
        known = conv_layers(module)
        hint = ", ".join(known[:6]) + (", ..." if len(known) > 6 else "")
        raise UnknownLayer(f"This model has no layer named {layer!r}; try one of: {hint}") from None


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _capture(loaded: Any, x: torch.Tensor, layers: list[str]) -> tuple[dict[str, torch.Tensor], torch.Tensor, float]:
    """One forward pass with a hook on each of ``layers`` (inside ``loaded.exclusive()``; every hook
    removed in ``finally``). Returns ({layer: output [0] on CPU}, logits, elapsed ms)."""
    module: nn.Module = loaded.module
    targets = {layer: _submodule(module, layer) for layer in layers}
    captured: dict[str, torch.Tensor] = {}

    def make_hook(name: str):
        def hook(_m: nn.Module, _inputs: Any, output: Any) -> None:
            out = output[0] if isinstance(output, tuple | list) else output
            # clone(): on the CPU .float().cpu() return the same storage, and an in-place ReLU that
            # follows (AlexNet, VGG) would overwrite the convolution's output we keep.
            captured[name] = out.detach().float().cpu().clone()
        return hook

    x = x.to(loaded.device)
    with loaded.exclusive():
        handles = [t.register_forward_hook(make_hook(n)) for n, t in targets.items()]
        try:
            with torch.inference_mode():
                _synchronise(loaded.device)
                start = time.perf_counter()
                logits = module(x)
                _synchronise(loaded.device)
                elapsed = 1000.0 * (time.perf_counter() - start)
        finally:
            for h in handles:
                h.remove()
    missing = [n for n in layers if n not in captured]
    if missing:
        raise UnknownLayer(f"Layer {missing[0]!r} did not run for this input")
    return captured, logits.detach().float().cpu(), elapsed


def _as_maps(loaded: Any, layer: str, out: torch.Tensor, elapsed: float, view: np.ndarray) -> FeatureMaps:
    out = out[0]
    if out.ndim == 1:
        out = out[:, None, None]
    maps = out.numpy().astype(np.float32)
    order = tuple(int(i) for i in np.argsort(-maps.reshape(maps.shape[0], -1).mean(axis=1), kind="stable"))
    return FeatureMaps(loaded.spec.name, str(loaded.device), elapsed, layer, maps, order, view)


def feature_maps(loaded: Any, image: Image.Image, *, layer: str) -> FeatureMaps:
    """The activations of ``layer`` (a dotted module name) for one image.

    Args:
        loaded: a ``LoadedModel`` (``cnnapps.load(name)``); its module is shared and is not changed.
        image: RGB PIL image (or a digit image for digit models).
        layer: e.g. ``"features.0"`` or ``"layer1.0.conv1"``; :func:`conv_layers` lists the usual ones.

    Raises:
        UnknownLayer: no such layer. (``InvalidImage``/``EmptyDigit`` come from the input.)
    """
    _submodule(loaded.module, layer)  # a bad name fails before any work
    x, view = model_input(loaded.spec, image)
    captured, _, elapsed = _capture(loaded, x, [layer])
    return _as_maps(loaded, layer, captured[layer], elapsed, view)


def feature_maps_all(loaded: Any, image: Image.Image, *, layers: list[str]) -> tuple[dict[str, FeatureMaps], np.ndarray]:
    """Feature maps of several layers from one forward pass, and the softmax probabilities [classes]."""
    x, view = model_input(loaded.spec, image)
    captured, logits, elapsed = _capture(loaded, x, list(layers))
    probs = torch.softmax(logits[0], dim=0).numpy()
    return {n: _as_maps(loaded, n, captured[n], elapsed, view) for n in layers}, probs


def first_layer_filters(module: nn.Module) -> np.ndarray:
    """The first convolution's weights as images: float32 ``[N, k, k, 3]`` (RGB inputs) or
    ``[N, k, k]`` (grey inputs), each filter scaled to [0, 1] on its own range."""
    conv = next((m for m in module.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        raise UnknownLayer("This model has no convolution")
    w = conv.weight.detach().float().cpu().numpy()  # [N, C, k, k]
    lo = w.reshape(w.shape[0], -1).min(axis=1)[:, None, None, None]
    hi = w.reshape(w.shape[0], -1).max(axis=1)[:, None, None, None]
    w = (w - lo) / np.maximum(hi - lo, 1e-12)
    if w.shape[1] == 3:
        return np.transpose(w, (0, 2, 3, 1)).astype(np.float32)
    return w[:, 0].astype(np.float32)


def receptive_field(loaded: Any, image: Image.Image, *, layer: str, channel: int | None = None,
                    row: int | None = None, col: int | None = None) -> ReceptiveField:
    """The input pixels one unit of ``layer`` depends on, for this image.

    The gradient of unit (channel, row, col) with respect to the input is non-zero exactly where
    the input influences it: inside the theoretical receptive field, minus what dead ReLUs and
    max-pooling cut off for this image. Its magnitude is the "effective receptive field" of Luo et
    al. 2016. Defaults: the centre unit of the strongest channel. Runs inside ``loaded.exclusive()``.
    """
    module: nn.Module = loaded.module
    target = _submodule(module, layer)
    x, _ = model_input(loaded.spec, image)
    x = x.to(loaded.device).requires_grad_(True)
    captured: list[torch.Tensor] = []

    def hook(_m: nn.Module, _inputs: Any, output: Any) -> Any:
        if isinstance(output, tuple | list):
            captured.append(output[0])
            return None
        captured.append(output)
        # Hand a copy downstream, so an in-place ReLU after this layer cannot change the unit.
        return output.clone()

    with loaded.exclusive():
        handle = target.register_forward_hook(hook)
        try:
            with torch.enable_grad():
                module(x)
                out = captured[0][0]
                if out.ndim == 1:
                    out = out[:, None, None]
                c = int(out.flatten(1).mean(1).argmax()) if channel is None else channel
                r = out.shape[1] // 2 if row is None else row
                q = out.shape[2] // 2 if col is None else col
                if not (0 <= c < out.shape[0] and 0 <= r < out.shape[1] and 0 <= q < out.shape[2]):
                    raise UnknownLayer(f"Unit ({c}, {r}, {q}) is outside the layer's {tuple(out.shape)} output")
                (grad,) = torch.autograd.grad(out[c, r, q], x)
        finally:
            handle.remove()
    g = grad[0].abs().sum(0).float().cpu().numpy()
    ys, xs = np.nonzero(g > 0)
    # A dead unit (nothing influences it for this image) gets the unit's own position.
    box = (r, q, r, q) if ys.size == 0 else (int(ys.min()), int(xs.min()), int(ys.max()), int(xs.max()))
    influence = g / g.max() if g.max() > 0 else g
    return ReceptiveField(layer, c, r, q, box, influence.astype(np.float32))
