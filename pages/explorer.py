"""Inside a CNN: the layers one at a time on your image, the classic architectures, feature maps."""

import hashlib

import numpy as np
import streamlit as st

from cnnapps.errors import CnnappsError
from cnnapps.explorer.architectures import ARCHITECTURES
from cnnapps.explorer.ops import to_grey
from cnnapps.images import load_image
from cnnapps.samples import SAMPLES, sample_bytes
from cnnapps.ui.errors import show_error
from cnnapps.ui.explorer_arch import render_architecture, render_comparison
from cnnapps.ui.explorer_inside import render_inside
from cnnapps.ui.explorer_playground import (
    render_activations,
    render_convolution,
    render_dense,
    render_pooling,
)
from cnnapps.ui.navigation import ensure_app_navigation

ensure_app_navigation()

SECTIONS = ("Layer playground", "Architectures", "Inside a model", "Compare")

st.title("Inside a CNN")
st.caption("Convolution, pooling, activation and fully connected layers on your own image; the classic "
           "architectures from LeNet-5 (1998) to MobileNetV2 (2018), their layer tables, blocks and "
           "feature maps. Draw a digit for LeNet-5 on the *Draw a digit* page.")

section = st.segmented_control("Section", SECTIONS, default=SECTIONS[0], key="explorer_section")
if section is None:
    st.info("Pick a section above.")
    st.stop()


def _image_picker(key: str):
    """A bundled sample or an upload -> (RGB PIL image, sha256 of its bytes); None when unusable
    (the reason is shown)."""
    names = [s.name for s in SAMPLES]
    c1, c2 = st.columns([1, 2])
    choice = c1.selectbox("Image", [*names, "upload my own"], index=names.index("chelsea"), key=f"{key}_img")
    if choice == "upload my own":
        upload = c2.file_uploader("Photo (PNG, JPEG, ...)", type=None, key=f"{key}_upload")
        if upload is None:
            st.info("Upload a photo, or pick a bundled sample.")
            return None
        data = upload.getvalue()
    else:
        data = sample_bytes(choice)
    try:
        return load_image(data), hashlib.sha256(data).hexdigest()
    except CnnappsError as err:
        show_error(err)
        return None


if section == "Layer playground":
    picked = _image_picker("pg")
    if picked is not None:
        grey = to_grey(picked[0], max_side=160)
        tabs = st.tabs(["Convolution", "Pooling", "Activations & softmax", "Fully connected"])
        with tabs[0]:
            render_convolution(grey)
        with tabs[1]:
            render_pooling(grey)
        with tabs[2]:
            render_activations(np.asarray(grey))
        with tabs[3]:
            render_dense()

elif section == "Architectures":
    names = list(ARCHITECTURES)
    name = st.selectbox("Architecture", names, index=names.index("resnet18"), key="arch_name",
                        format_func=lambda n: f"{ARCHITECTURES[n].title} ({ARCHITECTURES[n].year})")
    render_architecture(name)

elif section == "Inside a model":
    picked = _image_picker("inside")
    if picked is not None:
        render_inside(picked[0], digest=picked[1])

else:
    st.markdown("The architectures side by side. Parameters and multiply-adds are counted by torchinfo "
                "for one image; ImageNet top-1 is torchvision's published number (MobileNetV2: Google's "
                "report for the quantised model); latency is measured here, batch 1, on this machine's "
                "CPU with random weights (the values of the weights do not change the time).")
    measure = st.toggle("Measure CPU latency here (takes a few seconds)", key="cmp_measure")
    st.dataframe(render_comparison(measure=measure), hide_index=True, width="stretch",
                 column_config={"parameters": st.column_config.NumberColumn(format="localized")})
