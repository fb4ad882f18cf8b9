"""Models for the explorer pages: trained when the weights are here, random weights otherwise.

Trained models come from the app's shared cache (:func:`cnnapps.ui.loaders.cached_model`); a
model whose weights are neither bundled nor cached is built with random weights (no download: the
explorer must work offline) and cached the same way, wrapped in a LoadedModel so the same
hook-safety rules apply.
"""

from __future__ import annotations

import streamlit as st
import torch

from cnnapps.errors import CnnappsError
from cnnapps.loaded import LoadedModel
from cnnapps.registry import get_spec
from cnnapps.ui.loaders import app_device, cached_model
from cnnapps.weights import missing_weights

__all__ = ["explorer_model"]


@st.cache_resource(show_spinner=False, max_entries=6)
def _random_weights(name: str, device: str) -> LoadedModel:
    spec = get_spec(name)
    torch.manual_seed(0)  # the same random network for every user, so the page is reproducible
    module = spec.build().eval().requires_grad_(False).to(torch.device(device))
    return LoadedModel(spec=spec, module=module, device=torch.device(device))


def explorer_model(name: str, *, trained: bool | None = None) -> tuple[LoadedModel, bool]:
    """(model, whether it has its trained weights). ``trained=None``: trained if the weights are
    here (bundled or cached), else random; True/False force one (True may raise WeightsUnavailable)."""
    spec = get_spec(name)
    if trained is None:
        trained = spec.works_offline or not missing_weights(spec)
    if trained:
        try:
            return cached_model(name), True
        except CnnappsError:
            if spec.works_offline:
                raise
    return _random_weights(name, str(app_device())), False
