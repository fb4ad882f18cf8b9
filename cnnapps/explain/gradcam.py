"""Grad-CAM (Selvaraju et al. 2017, arXiv:1610.02391) through pytorch-grad-cam.

The models we explain are cached with ``st.cache_resource`` and shared by every session
(house rule 6), so this adapter

* always releases grad-cam's hooks (its context manager), even when the forward pass fails;
* never writes ``.grad`` into the shared weights: it differentiates with respect to the input
  only (``compute_input_gradient=True``) and switches parameter gradients off for the call;
* serialises CAM calls per model with a lock, because hooks are attached to the module
  object and two sessions explaining the same model at once would see each other's hooks.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

__all__ = ["grad_cam"]

_LOCKS: weakref.WeakKeyDictionary[torch.nn.Module, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock_for(model: torch.nn.Module) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(model, threading.Lock())


def grad_cam(
    model: torch.nn.Module, x: torch.Tensor, *, target_layer: str, class_index: int
) -> np.ndarray:
    """Heat map of where ``class_index``'s score comes from.

    Args:
        model: a classifier in eval mode; its device decides where the work runs.
        x: float input [1, 3, H, W] (already preprocessed).
        target_layer: dotted module path from the registry (e.g. ``"layer4"``),
            resolved with ``model.get_submodule``.
        class_index: the output unit to explain (usually the top-1).

    Returns:
        float32 array [H, W] in [0, 1] at the input's resolution.
    """
    layer = model.get_submodule(target_layer)
    device = next(model.parameters()).device
    x = x.detach().to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    with _lock_for(model), torch.inference_mode(False), torch.enable_grad():
        for p in params:
            p.requires_grad_(False)
        try:
            with GradCAM(model=model, target_layers=[layer]) as cam:
                # Gradients w.r.t. the input are enough to reach the target layer's activations.
                cam.compute_input_gradient = True
                heat = cam(input_tensor=x.clone(), targets=[ClassifierOutputTarget(class_index)])
        finally:
            for p in params:
                p.requires_grad_(True)
    return np.asarray(heat[0], dtype=np.float32)
