"""Draw a digit: LeNet-5 (trained by this project on MNIST) reads it live, layer by layer."""

import io

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from cnnapps.errors import CnnappsError
from cnnapps.explorer.features import feature_maps_all
from cnnapps.explorer.viz import enlarge, feature_grid, to_image
from cnnapps.images import load_image
from cnnapps.ui.errors import show_error
from cnnapps.ui.explorer_models import explorer_model
from cnnapps.ui.navigation import ensure_app_navigation
from cnnapps.zoo.digits import DIGIT_SAMPLES, digit_sample_bytes

ensure_app_navigation()

LAYERS = ("c1", "s2", "c3", "s4", "c5", "f6")

st.title("Draw a digit")
st.caption("LeNet-5 (LeCun et al. 1998, with the paper's C3 connection table), trained by this project on "
           "MNIST digits, reads what you draw. Your drawing is centred and scaled the way MNIST digits "
           "were: the bounding box fitted into 20 x 20 pixels, the centre of mass at the centre of 28 x 28.")

loaded, trained = explorer_model("lenet5", trained=None)
left, right = st.columns([2, 3])
with left:
    source = st.segmented_control("Input", ["Draw", "Sample", "Upload"], default="Draw", key="digit_source")
    image = None
    if source == "Draw":
        stroke = st.slider("Pen width", 8, 40, 22, key="digit_pen")
        canvas = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                           height=280, width=280, drawing_mode="freedraw", key="digit_canvas",
                           return_image_data=True)
        data = canvas.image_data
        if data is not None and np.asarray(data)[..., :3].max() > 0:
            image = Image.fromarray(np.asarray(data).astype(np.uint8), mode="RGBA")
        else:
            st.info("Draw one digit (0-9) in the black square with the mouse or a finger.",
                    icon=":material/draw:")
    elif source == "Sample":
        name = st.selectbox("Bundled digit", [s.name for s in DIGIT_SAMPLES], key="digit_sample",
                            format_func=lambda n: next(s.caption for s in DIGIT_SAMPLES if s.name == n))
        image = load_image(digit_sample_bytes(name))
        st.image(image, width=160)
    elif source == "Upload":
        upload = st.file_uploader("A photo or scan of one digit (dark on light or light on dark)",
                                  key="digit_upload")
        if upload is not None:
            try:
                image = load_image(upload.getvalue())
                st.image(image, width=160)
            except CnnappsError as err:
                show_error(err)

with right:
    if image is None:
        st.stop()
    try:
        # The model's own preprocessing (MNIST-style centring) runs inside; input_view is its input.
        maps, probs = feature_maps_all(loaded, image, layers=list(LAYERS))
    except CnnappsError as err:
        show_error(err)
        st.stop()
    digit = maps[LAYERS[0]].input_view
    best = int(np.argmax(probs))
    a, b = st.columns([1, 2])
    a.image(enlarge(Image.fromarray(np.uint8(digit * 255), mode="L"), min_side=140),
            caption="what LeNet-5 sees (28 x 28)")
    a.markdown(f"## {best}")
    a.caption(f"{100 * probs[best]:.1f} % sure" + ("" if trained else " (random weights!)"))
    b.bar_chart(pd.DataFrame({"probability": probs}, index=[str(i) for i in range(10)]), height=230,
                x_label="digit", y_label="probability")
    st.markdown("**Feature maps, layer by layer** (each map scaled to its own range; strongest first)")
    for layer in LAYERS:
        fm = maps[layer]
        c, h, w = fm.maps.shape
        if h == 1:
            row = to_image(fm.maps[:, 0, 0][None, :], cmap="viridis")
            st.image(row.resize((min(800, 8 * c), 24), Image.Resampling.NEAREST),
                     caption=f"{layer}: {c} units")
        else:
            st.image(feature_grid(fm.maps, fm.order, columns=16, cell=48 if h > 10 else 40),
                     caption=f"{layer}: {c} maps of {h} x {w}")
    buf = io.BytesIO()
    Image.fromarray(np.uint8(digit * 255), mode="L").save(buf, format="PNG")
    st.download_button("Download the 28 x 28 digit (PNG)", buf.getvalue(), "digit.png", "image/png",
                       on_click="ignore")
