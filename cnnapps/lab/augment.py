"""Data augmentation on whole batches of tensors, drawn from a local ``torch.Generator``.

Each image of a batch gets its own random transform: one affine warp (``shift`` up to 3 pixels,
``rotate`` up to 15 degrees, ``scale`` 0.9-1.1) through ``affine_grid``/``grid_sample``, a
horizontal ``flip`` with probability 1/2 (pointless for digits, useful for CIFAR-10), and random
``erase`` of one 25 % patch with probability 1/2 (Zhong et al. 2020). Working on the batch keeps
augmentation cheap on CPU and lets it run on the GPU when the run does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = ["MAX_DEGREES", "MAX_SHIFT_PX", "augment_batch"]

MAX_SHIFT_PX = 3.0  # MNIST digits sit in a 20x20 box inside 28x28: 3 px keeps them in frame
MAX_DEGREES = 15.0
SCALE_RANGE = (0.9, 1.1)
ERASE_FRACTION = 0.25  # area of the erased patch


def _uniform(n: int, lo: float, hi: float, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=generator, device=device)


def augment_batch(x: torch.Tensor, kinds: Sequence[str], *, generator: torch.Generator) -> torch.Tensor:
    """Randomly transformed copy of ``x`` (float [N, C, H, W]); ``x`` itself is not modified.

    ``generator`` must be on ``x``'s device. Unknown kinds raise ``ValueError``.
    """
    unknown = set(kinds) - {"shift", "rotate", "scale", "flip", "erase"}
    if unknown:
        raise ValueError(f"unknown augmentation(s): {sorted(unknown)}")
    if not kinds or x.numel() == 0:
        return x
    n, _, h, w = x.shape
    dev = x.device
    if {"shift", "rotate", "scale"} & set(kinds):
        angle = torch.zeros(n, device=dev)
        scale = torch.ones(n, device=dev)
        tx = torch.zeros(n, device=dev)
        ty = torch.zeros(n, device=dev)
        if "rotate" in kinds:
            angle = _uniform(n, -MAX_DEGREES, MAX_DEGREES, generator=generator, device=dev) * math.pi / 180
        if "scale" in kinds:
            scale = _uniform(n, *SCALE_RANGE, generator=generator, device=dev)
        if "shift" in kinds:  # affine_grid coordinates span [-1, 1]: one pixel is 2 / side
            tx = _uniform(n, -1, 1, generator=generator, device=dev) * 2 * MAX_SHIFT_PX / w
            ty = _uniform(n, -1, 1, generator=generator, device=dev) * 2 * MAX_SHIFT_PX / h
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if "flip" in kinds:
        flip = torch.rand(n, generator=generator, device=dev) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    if "erase" in kinds:
        side_h, side_w = max(1, round(h * math.sqrt(ERASE_FRACTION))), max(1, round(w * math.sqrt(ERASE_FRACTION)))
        top = (torch.rand(n, generator=generator, device=dev) * (h - side_h + 1)).long()
        left = (torch.rand(n, generator=generator, device=dev) * (w - side_w + 1)).long()
        on = torch.rand(n, generator=generator, device=dev) < 0.5
        rows = torch.arange(h, device=dev)[None, :, None]
        cols = torch.arange(w, device=dev)[None, None, :]
        patch = ((rows >= top[:, None, None]) & (rows < (top + side_h)[:, None, None])
                 & (cols >= left[:, None, None]) & (cols < (left + side_w)[:, None, None]) & on[:, None, None])
        x = x.masked_fill(patch[:, None], 0.0)
    return x
