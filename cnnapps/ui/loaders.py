"""Models load once per process and device (``st.cache_resource``), with a progress bar.

The cached object is a :class:`~cnnapps.loaded.LoadedModel`: shared by every session, safe to be
(its gate serialises hooked use). The download (if any) happens *outside* the cached function,
so its progress bar is a real element of this run instead of one Streamlit would replay from the
cache on every hit.
"""

from __future__ import annotations

import streamlit as st
import torch
from PIL import Image
from streamlit.delta_generator import DeltaGenerator

from cnnapps.device import resolve_device
from cnnapps.errors import CnnappsError
from cnnapps.images import load_image
from cnnapps.loaded import LoadedModel, load
from cnnapps.registry import ModelSpec, get_spec
from cnnapps.results import Classification
from cnnapps.tasks.classify import classify
from cnnapps.ui.errors import show_error
from cnnapps.ui.progress import progress_bar
from cnnapps.weights import hub_reachable, resolve_weights

__all__ = [
    "MAX_TOP_K",
    "app_device",
    "cached_classification",
    "cached_model",
    "hub_online",
    "model_or_stop",
]

MAX_TOP_K = 10  # classes computed once per photo; the page slices its top-k from these


@st.cache_resource(show_spinner=False)
def app_device() -> torch.device:
    """The device for this server process (CNNAPPS_DEVICE, else cuda > mps > cpu)."""
    return resolve_device()


@st.cache_data(ttl=300, show_spinner=False)
def hub_online() -> bool:
    """Whether the weights host answers; rechecked at most every 5 minutes."""
    return hub_reachable(timeout=2.0)


@st.cache_resource(show_spinner=False, max_entries=6)
def _cached(name: str, device: str) -> LoadedModel:
    loaded = load(name, device=torch.device(device))
    pre = loaded.spec.preprocessing
    if pre is not None and loaded.spec.task == "classification":
        # One throw-away forward pass: the first call pays for kernel selection and allocator
        # warm-up (~20x a normal pass on CPU), which would otherwise show up as the "forward
        # pass" time of the user's first photo.
        loaded(torch.zeros(1, len(pre.mean), *pre.input_size))
    return loaded


def cached_model(name: str) -> LoadedModel:
    """The model ``name`` on the app's device, downloading its weights first if needed.

    Raises:
        WeightsUnavailable: offline and not bundled/cached (the caller shows the message).
    """
    spec = get_spec(name)
    if not spec.works_offline:
        update, close = progress_bar(f"Looking for {spec.display_name} weights…")

        def report(done: int, total: int | None) -> None:
            mb = f"{done / 1e6:.0f}" + (f" / {total / 1e6:.0f}" if total else "")
            update(done, total, f"Downloading {spec.display_name}: {mb} MB")

        try:
            resolve_weights(spec, progress=report)
        finally:
            close()
    with st.spinner(f"Loading {spec.display_name}…"):
        return _cached(name, str(app_device()))


def model_or_stop(spec: ModelSpec, *, panel: DeltaGenerator) -> LoadedModel:
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


@st.cache_data(show_spinner=False, max_entries=64)
def cached_classification(
    name: str, device: str, digest: str, *, with_cam: bool, _data: bytes, _loaded: LoadedModel
) -> tuple[Image.Image, Classification]:
    """Decode and classify once per (model, device, file content, CAM on/off).

    Display settings (top-k, opacity) never recompute: the top :data:`MAX_TOP_K` classes are
    kept and the page slices them. Arguments with a leading underscore are not hashed: ``name``,
    ``device`` and ``digest`` (the sha256 of ``_data``) identify them.
    """
    image = load_image(_data)
    return image, classify(_loaded, image, top_k=MAX_TOP_K, with_cam=with_cam)
