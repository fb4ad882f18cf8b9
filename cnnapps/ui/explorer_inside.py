"""'Inside a model': feature maps of any layer, first-layer filters, receptive field of a unit.

Bundled models (LeNet-5, MobileNetV2) and cached torchvision weights are the trained ones; a model
whose weights are not here runs with random weights, and the page says so.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from PIL import Image

from cnnapps.errors import CnnappsError
from cnnapps.explorer import features
from cnnapps.explorer.architectures import ARCHITECTURES
from cnnapps.explorer.viz import feature_grid, filter_grid, receptive_field_overlay
from cnnapps.registry import get_spec
from cnnapps.ui.errors import show_error
from cnnapps.ui.explorer_models import explorer_model

__all__ = ["render_inside"]


@st.cache_data(show_spinner="Running the model...", max_entries=32)
def _maps(name: str, trained: bool, digest: str, layer: str, _image: Image.Image) -> Any:
    loaded, _ = explorer_model(name, trained=trained)
    return features.feature_maps(loaded, _image, layer=layer)


@st.cache_data(show_spinner=False, max_entries=64)
def _field(name: str, trained: bool, digest: str, layer: str, unit: tuple[int, int, int],
           _image: Image.Image) -> Any:
    loaded, _ = explorer_model(name, trained=trained)
    return features.receptive_field(loaded, _image, layer=layer, channel=unit[0], row=unit[1], col=unit[2])


def render_inside(image: Image.Image, *, digest: str) -> None:
    names = list(ARCHITECTURES)
    c1, c2 = st.columns(2)
    name = c1.selectbox("Model", names, index=names.index("mobilenet_v2_tflite"), key="inside_model",
                        format_func=lambda n: f"{ARCHITECTURES[n].title} ({ARCHITECTURES[n].year})")
    loaded, trained = explorer_model(name, trained=None)
    if trained:
        st.caption(f"{get_spec(name).display_name}: trained weights.")
    else:
        st.warning("The trained weights of this model are not on this machine (offline, not downloaded "
                   "yet), so it runs with **random weights**: the shapes, filters and receptive fields are "
                   "real, the feature maps show what an untrained network computes. Load it once on the "
                   "Classify page while online to get the trained weights.", icon=":material/casino:")
    layers = features.conv_layers(loaded.module)
    # Default: a layer halfway down, where maps are abstract and receptive fields already large.
    layer = c2.selectbox("Layer", layers, index=len(layers) // 2, key=f"inside_layer_{name}")
    try:
        fm = _maps(name, trained, digest, layer, image)
    except CnnappsError as err:
        show_error(err)
        return
    channels = fm.maps.shape[0]
    s1, s2 = st.columns(2)
    shown = s1.slider("Channels to show (strongest mean activation first)", 1, min(64, channels),
                      min(16, channels), key="inside_n")
    pick = s2.number_input("Or look at one channel", 0, channels - 1, fm.order[0], key="inside_channel")
    st.markdown(f"**{layer}**: {channels} maps of {fm.maps.shape[1]} x {fm.maps.shape[2]} "
                f"(forward pass {fm.elapsed_ms:.1f} ms on {fm.device}). Each map is scaled to its own range.")
    a, b = st.columns([3, 1])
    a.image(feature_grid(fm.maps, fm.order[:shown], columns=8), caption="channels, strongest first: "
            + ", ".join(map(str, fm.order[:shown])), width="stretch")
    b.image(feature_grid(fm.maps, [int(pick)], columns=1, cell=256), caption=f"channel {int(pick)}",
            width="stretch")
    b.image(fm.input_view, caption="what the model saw", clamp=True, width="stretch")

    st.markdown("**First-layer filters** (each scaled to its own range)")
    st.image(filter_grid(features.first_layer_filters(loaded.module)))

    st.markdown("**Receptive field of one unit of this layer**: the input pixels whose change moves "
                "the unit (non-zero gradient), brighter red = more influence; the yellow box bounds them.")
    h, w = fm.maps.shape[1], fm.maps.shape[2]
    r1, r2, r3 = st.columns(3)
    channel = r1.number_input("channel", 0, channels - 1, fm.order[0], key="rf_channel")
    row = r2.slider("row", 0, max(0, h - 1), h // 2, key="rf_row", disabled=h == 1)
    col = r3.slider("column", 0, max(0, w - 1), w // 2, key="rf_col", disabled=w == 1)
    try:
        rf = _field(name, trained, digest, layer, (int(channel), row, col), image)
    except CnnappsError as err:
        show_error(err)
        return
    st.image(receptive_field_overlay(fm.input_view, rf.influence, rf.box),
             caption=f"unit ({rf.channel}, {rf.row}, {rf.col}) of {layer}: influenced by a "
             f"{rf.size[0]} x {rf.size[1]} pixel region of the {fm.input_view.shape[0]} x "
             f"{fm.input_view.shape[1]} input")
