"""Explanations of model decisions: a thin adapter over the grad-cam library."""

from cnnapps.explain.gradcam import grad_cam

__all__ = ["grad_cam"]
