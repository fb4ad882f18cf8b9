"""Class-activation maps (Grad-CAM: Selvaraju et al. 2017, arXiv:1610.02391) through pytorch-grad-cam.

The models we explain are cached with ``st.cache_resource`` and shared by every session
(house rule 6), so this adapter

* attaches grad-cam's hooks only while holding the model's exclusive gate
  (:meth:`~cnnapps.loaded.LoadedModel.exclusive`): no other session's forward pass can fire them,
  and no CAM sees another session's activations;
* always releases the hooks (grad-cam's context manager), even when the forward pass fails;
* never writes ``.grad`` into the shared weights: loaded parameters are frozen, and it
  differentiates with respect to the input only (``compute_input_gradient=True``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from pytorch_grad_cam import EigenCAM, GradCAM, GradCAMPlusPlus
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from cnnapps.loaded import LoadedModel

__all__ = ["ClassifierOutputTarget", "cam_heatmap"]

_METHODS = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "eigencam": EigenCAM}


def cam_heatmap(
    loaded: LoadedModel,
    x: torch.Tensor,
    targets: Sequence[Callable[[torch.Tensor], torch.Tensor]] | None,
    *,
    layers: Sequence[str] | None = None,
    method: str | None = None,
) -> np.ndarray:
    """Heat map of where the ``targets``' scores come from.

    Args:
        loaded: the model; ``loaded.spec.cam`` gives the default layers, method and reshape.
        x: float input [1, C, H, W], already preprocessed (any device: it follows the model).
        targets: grad-cam target callables (``ClassifierOutputTarget(i)``,
            ``FasterRCNNBoxScoreTarget``...); None for EigenCAM, which needs no target.
        layers: dotted module paths overriding the spec's target layers.
        method: "gradcam", "gradcam++" or "eigencam", overriding the spec's.

    Returns:
        float32 array [H, W] in [0, 1] at the input's resolution.
    """
    cam_cfg = loaded.spec.cam
    names = tuple(layers or (cam_cfg.target_layers if cam_cfg else ()))
    if not names:
        raise ValueError(f"{loaded.name} has no CAM target layers")
    kind = method or (cam_cfg.method if cam_cfg else "gradcam")
    reshape = cam_cfg.reshape_transform if cam_cfg else None
    module = loaded.module
    target_layers = [module.get_submodule(n) for n in names]
    x = x.detach().to(loaded.device)
    # fp32 and gradients on, whatever the caller's context (inference_mode forbids backward).
    with (
        loaded.exclusive(),
        torch.inference_mode(False),
        torch.enable_grad(),
        _METHODS[kind](model=module, target_layers=target_layers, reshape_transform=reshape) as cam,
    ):
        # Gradients w.r.t. the input are enough to reach the target layer's activations.
        cam.compute_input_gradient = True
        heat = cam(input_tensor=x.clone(), targets=list(targets) if targets else None)
    return np.asarray(heat[0], dtype=np.float32)
