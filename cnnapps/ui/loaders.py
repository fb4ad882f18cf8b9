"""Models load once per process and device (``st.cache_resource``), with a progress bar.

The download (if any) happens *outside* the cached function, so its progress bar is a real
element of this run instead of one Streamlit would replay from the cache on every hit.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
import torch
from PIL import Image
from streamlit.delta_generator import DeltaGenerator

from cnnapps.device import resolve_device
from cnnapps.errors import CnnappsError
from cnnapps.images import load_image
from cnnapps.registry import ModelSpec, get_spec
from cnnapps.results import Classification
from cnnapps.tasks.classify import classify
from cnnapps.ui.errors import show_error
from cnnapps.weights import hub_reachable, load_model, resolve_weights

__all__ = ["app_device", "cached_classification", "cached_model", "hub_online", "model_or_stop"]


@st.cache_resource(show_spinner=False)
def app_device() -> torch.device:
    """The device for this server process (CNNAPPS_DEVICE, else cuda > mps > cpu)."""
    return resolve_device()


@st.cache_data(ttl=300, show_spinner=False)
def hub_online() -> bool:
    """Whether the weights host answers; rechecked at most every 5 minutes."""
    return hub_reachable(timeout=2.0)


@st.cache_resource(show_spinner=False, max_entries=6)
def _cached(name: str, device: str) -> Any:
    spec = get_spec(name)
    model = load_model(spec, device=torch.device(device))
    if spec.preprocessing is not None:
        # One throw-away forward pass: the first call pays for kernel selection and allocator
        # warm-up (~20x a normal pass on CPU), which would otherwise show up as the "forward
        # pass" time of the user's first photo.
        with torch.inference_mode():
            model(torch.zeros(1, 3, *spec.preprocessing.input_size, device=torch.device(device)))
    return model


def cached_model(name: str) -> Any:
    """The model ``name`` on the app's device, downloading its weights first if needed.

    Raises:
        WeightsUnavailable: offline and not bundled/cached (the caller shows the message).
    """
    spec = get_spec(name)
    if not spec.weights.bundled:
        bar = st.progress(0.0, text=f"Looking for {spec.display_name} weights…")

        def report(done: int, total: int | None) -> None:
            mb = done / 1e6
            if total:
                bar.progress(min(done / total, 1.0), text=f"Downloading {spec.display_name}: "
                             f"{mb:.0f} / {total / 1e6:.0f} MB")
            else:
                bar.progress(0.0, text=f"Downloading {spec.display_name}: {mb:.0f} MB")

        try:
            resolve_weights(spec, progress=report)
        finally:
            bar.empty()
    with st.spinner(f"Loading {spec.display_name}…"):
        return _cached(name, str(app_device()))


def model_or_stop(spec: ModelSpec, *, panel: DeltaGenerator) -> Any:
    """``cached_model`` for a page: on failure show the message in ``panel`` and end this run.

    The rest of the page (the model picker above all) stays on screen, so the user can pick a
    model that works offline.
    """
    try:
        return cached_model(spec.name)
    except CnnappsError as err:
        with panel:
            show_error(err)
        st.stop()


@st.cache_data(show_spinner=False, max_entries=32)
def cached_classification(
    name: str, device: str, data: bytes, *, top_k: int, with_cam: bool, _model: Any
) -> tuple[Image.Image, Classification]:
    """Decode and classify once per (model, device, photo, options).

    Moving the opacity slider or any other widget reruns the page; without this every rerun
    would decode the photo and redo the forward and Grad-CAM passes. ``_model`` is not hashed
    (leading underscore): ``name`` and ``device`` identify it.
    """
    image = load_image(data)
    return image, classify(_model, image, spec=get_spec(name), top_k=top_k, with_cam=with_cam)
