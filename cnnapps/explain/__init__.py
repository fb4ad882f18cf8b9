"""Explanations of model decisions: a thin adapter over the grad-cam library."""

from cnnapps.explain.gradcam import ClassifierOutputTarget, cam_heatmap

__all__ = ["ClassifierOutputTarget", "cam_heatmap"]
