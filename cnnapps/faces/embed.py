"""Aligned face crops -> L2-normalised embeddings, for any registered face-embedding model.

The model's input size and normalisation travel with its registry entry (``spec.options``):
MobileFaceNet takes 112x112 with ImageNet mean/std; FaceNet (InceptionResnetV1) takes 160x160
with ``(pixel - 127.5) / 128`` (facenet-pytorch's ``fixed_image_standardization``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from cnnapps.faces.align import align_face
from cnnapps.results.faces import Face

__all__ = ["align_all", "embed_crops"]

_BATCH = 32  # crops per forward pass: bounds memory for photos with many faces


def align_all(rgb: np.ndarray, faces: tuple[Face, ...] | list[Face], *, size: int) -> np.ndarray:
    """``[N, size, size, 3]`` uint8 crops of ``faces`` in ``rgb``, aligned to the ArcFace template."""
    if not faces:
        return np.zeros((0, size, size, 3), dtype=np.uint8)
    return np.stack([align_face(rgb, np.asarray(f.landmarks), size=size) for f in faces])


def embed_crops(module: torch.nn.Module, crops: np.ndarray, options: Mapping[str, Any]) -> np.ndarray:
    """``[N, S, S, 3]`` uint8 aligned crops -> ``[N, D]`` float32 unit-length embeddings.

    ``options`` holds ``input_size``, ``mean``, ``std`` (per RGB channel, on the [0, 1] scale)
    and ``embedding_dim``. The forward pass runs on the module's device.
    """
    dim = int(options["embedding_dim"])
    if len(crops) == 0:
        return np.zeros((0, dim), dtype=np.float32)
    device = next(module.parameters()).device
    mean = torch.tensor(options["mean"], dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(options["std"], dtype=torch.float32).view(1, 3, 1, 1)
    out = []
    with torch.inference_mode():
        for start in range(0, len(crops), _BATCH):
            x = torch.from_numpy(np.ascontiguousarray(crops[start:start + _BATCH])).permute(0, 3, 1, 2)
            x = (x.float() / 255.0 - mean) / std
            emb = module(x.to(device)).float()
            out.append(torch.nn.functional.normalize(emb, dim=1).cpu().numpy())
    return np.concatenate(out).astype(np.float32)
