"""The layers of a CNN, one at a time, on a real image: convolution, pooling, activations, softmax.

Everything here runs torch's own operators (``F.conv2d``, ``F.max_pool2d``, ...) so what the page
shows is what a network computes; the only arithmetic of our own is the output-size formula and
the step-through of one output pixel, both tested against torch (tests/test_explorer_ops.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import comb
from types import MappingProxyType
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from cnnapps.errors import InvalidInput

__all__ = [
    "ACTIVATIONS",
    "KERNEL_PRESETS",
    "InvalidLayerSettings",
    "PixelStep",
    "activate",
    "convolve",
    "explain_pixel",
    "kernel_preset",
    "output_size",
    "parse_kernel",
    "pool",
    "softmax",
    "to_grey",
]


class InvalidLayerSettings(InvalidInput):
    """Kernel, stride, padding or dilation that cannot be applied (the message says why)."""


def _k(rows: list[list[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32)


# The classic hand-made 3x3 filters (Sobel 1968; the Laplacian and box/Gaussian blur of any image
# processing text). Larger sizes: the identity and box blur grow; Gaussian blur uses a binomial row.
_PRESETS_3: dict[str, np.ndarray] = {
    "identity": _k([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "edge (all directions)": _k([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    "Sobel x (vertical edges)": _k([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "Sobel y (horizontal edges)": _k([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "Laplacian": _k([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "box blur": np.full((3, 3), 1 / 9, dtype=np.float32),
    "Gaussian blur": _k([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": _k([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "emboss": _k([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
}
KERNEL_PRESETS: tuple[str, ...] = tuple(_PRESETS_3)


def kernel_preset(name: str, size: int = 3) -> np.ndarray:
    """A ``size`` x ``size`` float32 kernel (size 3, 5 or 7) for one of :data:`KERNEL_PRESETS`.

    The 3x3 derivative filters are embedded in the centre of bigger kernels for Sobel, Laplacian,
    edge and emboss; identity, blurs and sharpen are built for the size.
    """
    if name not in _PRESETS_3:
        raise InvalidLayerSettings(f"Unknown kernel preset {name!r}; choose one of {', '.join(KERNEL_PRESETS)}")
    if size not in (3, 5, 7):
        raise InvalidLayerSettings(f"Kernel size must be 3, 5 or 7, not {size}")
    if size == 3:
        return _PRESETS_3[name].copy()
    c = size // 2
    if name == "identity":
        k = np.zeros((size, size), np.float32)
        k[c, c] = 1
        return k
    if name == "box blur":
        return np.full((size, size), 1 / size**2, dtype=np.float32)
    if name == "Gaussian blur":
        row = np.array([comb(size - 1, i) for i in range(size)], dtype=np.float32)  # binomial
        k = np.outer(row, row)
        return (k / k.sum()).astype(np.float32)
    if name == "sharpen":
        blur = np.full((size, size), 1 / size**2, dtype=np.float32)
        ident = kernel_preset("identity", size)
        return (2 * ident - blur).astype(np.float32)  # unsharp mask: x + (x - blur(x))
    k = np.zeros((size, size), np.float32)
    k[c - 1: c + 2, c - 1: c + 2] = _PRESETS_3[name]
    return k


def parse_kernel(text: str) -> np.ndarray:
    """A square kernel typed as rows of numbers ("-1 0 1; -2 0 2; -1 0 1", or one row per line).

    Fractions like ``1/9`` are allowed. Raises :class:`InvalidLayerSettings` with the reason.
    """
    rows = [r for r in (line.replace(",", " ").split() for line in text.replace(";", "\n").splitlines()) if r]
    if not rows:
        raise InvalidLayerSettings("Type a kernel: rows of numbers separated by spaces, one row per line.")
    values: list[list[float]] = []
    for row in rows:
        parsed = []
        for cell in row:
            try:
                if "/" in cell:
                    num, den = cell.split("/", 1)
                    parsed.append(float(num) / float(den))
                else:
                    parsed.append(float(cell))
            except (ValueError, ZeroDivisionError):
                raise InvalidLayerSettings(f"{cell!r} is not a number (use e.g. -1, 0.5 or 1/9)") from None
        values.append(parsed)
    n = len(values)
    if any(len(r) != n for r in values):
        raise InvalidLayerSettings(f"The kernel must be square: {n} rows, but the rows have "
                                   f"{sorted({len(r) for r in values})} numbers")
    if n > 15:
        raise InvalidLayerSettings(f"Kernels up to 15x15 are supported, not {n}x{n}")
    arr = np.asarray(values, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise InvalidLayerSettings("The kernel contains a value that is not finite")
    return arr


def output_size(size: int, kernel: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis (PyTorch's ``Conv2d`` docs):

    ``floor((W + 2P - D (K - 1) - 1) / S) + 1``, which for D = 1 is the textbook ``(W - K + 2P) / S + 1``
    rounded down. Raises :class:`InvalidLayerSettings` when the window does not fit.
    """
    if min(kernel, stride, dilation) < 1 or padding < 0:
        raise InvalidLayerSettings("Kernel, stride and dilation must be at least 1 and padding at least 0")
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        raise InvalidLayerSettings(
            f"The kernel spans {span} pixels (with dilation {dilation}) but the padded input is only "
            f"{size + 2 * padding} wide: use a smaller kernel or dilation, or more padding")
    return (size + 2 * padding - span) // stride + 1


def to_grey(image: Image.Image, *, max_side: int = 256) -> np.ndarray:
    """float32 ``[H, W]`` in [0, 1] (ITU-R 601 luma), shrunk so the longer side is <= ``max_side``."""
    im = image.convert("L")
    if max(im.size) > max_side:
        im = im.copy()
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(im, dtype=np.float32) / 255.0


def _as_tensor(image: np.ndarray | Image.Image) -> torch.Tensor:
    if isinstance(image, Image.Image):
        image = to_grey(image, max_side=max(image.size))
    arr = np.asarray(image, dtype=np.float32)
    if arr.ndim != 2:
        raise InvalidLayerSettings(f"Expected a 2-D grey image, got an array of shape {arr.shape}")
    return torch.from_numpy(np.ascontiguousarray(arr))[None, None]


def convolve(image: np.ndarray | Image.Image, kernel: np.ndarray, *, stride: int = 1, padding: int = 0,
             dilation: int = 1) -> np.ndarray:
    """2-D convolution (a CNN's cross-correlation: the kernel is not flipped) of a grey image.

    Args:
        image: float ``[H, W]``, or a PIL image (converted to grey in [0, 1], size kept).
        kernel: float ``[K, K]`` (or ``[Kh, Kw]``).
        stride, padding (zeros), dilation: as ``torch.nn.Conv2d``.

    Returns:
        float32 ``[H_out, W_out]`` with ``H_out = output_size(H, Kh, ...)``; computed by ``F.conv2d``.
    """
    x = _as_tensor(image)
    k = np.asarray(kernel, dtype=np.float32)
    if k.ndim != 2:
        raise InvalidLayerSettings(f"The kernel must be 2-D, got shape {k.shape}")
    for axis in (0, 1):
        output_size(x.shape[2 + axis], k.shape[axis], stride=stride, padding=padding, dilation=dilation)
    w = torch.from_numpy(np.ascontiguousarray(k))[None, None]
    with torch.inference_mode():
        y = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    return y[0, 0].numpy().copy()


@dataclass(frozen=True)
class PixelStep:
    """One output pixel of :func:`convolve` written out as the weighted sum of its window."""

    row: int  # output pixel (row, col)
    col: int
    rows: tuple[int, ...]  # input rows/cols the kernel taps read (may be outside: padding)
    cols: tuple[int, ...]
    window: np.ndarray  # [K, K] input values under the taps (0 where the tap is in the padding)
    kernel: np.ndarray  # [K, K]
    products: np.ndarray  # window * kernel
    value: float  # products.sum(): equals convolve(...)[row, col]


def explain_pixel(image: np.ndarray, kernel: np.ndarray, *, row: int, col: int, stride: int = 1,
                  padding: int = 0, dilation: int = 1) -> PixelStep:
    """The taps, window values and products that make output pixel (``row``, ``col``)."""
    x = np.asarray(image, dtype=np.float32)
    k = np.asarray(kernel, dtype=np.float32)
    h_out = output_size(x.shape[0], k.shape[0], stride=stride, padding=padding, dilation=dilation)
    w_out = output_size(x.shape[1], k.shape[1], stride=stride, padding=padding, dilation=dilation)
    if not (0 <= row < h_out and 0 <= col < w_out):
        raise InvalidLayerSettings(f"Output pixel ({row}, {col}) is outside the {h_out}x{w_out} output")
    rows = tuple(row * stride - padding + i * dilation for i in range(k.shape[0]))
    cols = tuple(col * stride - padding + j * dilation for j in range(k.shape[1]))
    window = np.zeros_like(k)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if 0 <= r < x.shape[0] and 0 <= c < x.shape[1]:
                window[i, j] = x[r, c]
    products = window * k
    return PixelStep(row, col, rows, cols, window, k, products, float(products.sum(dtype=np.float64)))


def pool(image: np.ndarray, *, kind: Literal["max", "average"] = "max", size: int = 2,
         stride: int | None = None) -> np.ndarray:
    """Max or average pooling of a grey image (``F.max_pool2d`` / ``F.avg_pool2d``, no padding)."""
    stride = stride or size
    x = _as_tensor(image)
    for axis in (0, 1):
        output_size(x.shape[2 + axis], size, stride=stride)
    with torch.inference_mode():
        if kind == "max":
            y = F.max_pool2d(x, size, stride)
        elif kind == "average":
            y = F.avg_pool2d(x, size, stride)
        else:
            raise InvalidLayerSettings(f"Pooling is 'max' or 'average', not {kind!r}")
    return y[0, 0].numpy().copy()


# Activation functions as torch defines them; leaky ReLU with PyTorch's default slope 0.01 is
# hard to see on a plot, so we show Maas et al. 2013's illustrative 0.1.
ACTIVATIONS: Mapping[str, Callable[[torch.Tensor], torch.Tensor]] = MappingProxyType({
    "ReLU": F.relu,
    "leaky ReLU (0.1)": lambda t: F.leaky_relu(t, 0.1),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "GELU": F.gelu,
})


def activate(values: np.ndarray, name: str) -> np.ndarray:
    """Apply one of :data:`ACTIVATIONS` elementwise (float32 array of any shape)."""
    try:
        fn = ACTIVATIONS[name]
    except KeyError:
        raise InvalidLayerSettings(f"Unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
    with torch.inference_mode():
        return fn(torch.from_numpy(np.asarray(values, dtype=np.float32))).numpy().copy()


def softmax(logits: np.ndarray, *, temperature: float = 1.0) -> np.ndarray:
    """``softmax(z / T)``: T < 1 sharpens towards the arg-max, T > 1 flattens towards uniform."""
    if not temperature > 0:
        raise InvalidLayerSettings("The temperature must be greater than 0")
    z = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    if z.ndim != 1 or z.numel() == 0:
        raise InvalidLayerSettings("Give at least one logit, as a flat list of numbers")
    return torch.softmax(z / temperature, dim=0).numpy()
