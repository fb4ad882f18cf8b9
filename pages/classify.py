"""Classify an image: top-k labels, a Grad-CAM heat map, and a CSV for many files."""

import pandas as pd
import streamlit as st

from cnnapps.errors import CnnappsError
from cnnapps.preprocess import heatmap_canvas
from cnnapps.tasks.classify import classify_files
from cnnapps.ui.errors import show_error
from cnnapps.ui.loaders import app_device, cached_classification, model_or_stop
from cnnapps.ui.navigation import ensure_app_navigation
from cnnapps.ui.widgets import image_input, model_details, model_picker
from cnnapps.viz import overlay_heatmap, predictions_table

ensure_app_navigation()

st.title("Classify an image")
st.caption("Which of ImageNet's 1000 classes is in the photo, and where did the network look?")

left, right = st.columns([2, 3])
with left:
    spec = model_picker("classification", key="classify_model")
    top_k = st.slider("How many classes to show (top-k)", 1, 10, 5, key="classify_topk")
    with_cam = st.toggle("Grad-CAM heat map", value=True, key="classify_cam",
                         help="Selvaraju et al. 2017: where the evidence for the top class lies.")
    alpha = st.slider("Heat-map opacity", 0.0, 1.0, 0.5, 0.05, key="classify_alpha",
                      disabled=not with_cam)
    files = image_input(key="classify")
    model_details(spec)

model = model_or_stop(spec, panel=right)

if not files:
    right.info("Choose a sample photo, upload a photo or take one with the camera.",
               icon=":material/photo:")
    st.stop()

if len(files) == 1:
    with right:
        try:
            image, result = cached_classification(spec.name, str(app_device()), files[0].data,
                                                  top_k=top_k, with_cam=with_cam, _model=model)
        except CnnappsError as err:
            show_error(err, context=files[0].name)
            st.stop()
        best = result.best
        st.subheader(f"{best.label}", anchor=False)
        st.markdown(
            f"**{100 * best.probability:.1f} %** · forward pass **{result.forward_ms:.0f} ms** on "
            f"`{result.device}` · model input {spec.preprocessing.input_size[1]}×"
            f"{spec.preprocessing.input_size[0]} px"
        )
        photo, chart = st.columns(2)
        if result.heatmap is not None:
            canvas = heatmap_canvas(image, spec.preprocessing)
            photo.image(overlay_heatmap(canvas, result.heatmap, alpha=alpha),
                        caption=f"Grad-CAM: where the evidence for “{best.label}” lies",
                        width="stretch")
        else:
            photo.image(image, caption=files[0].name, width="stretch")
        table = pd.DataFrame(predictions_table(result.top))
        chart.bar_chart(table, x="label", y="probability (%)", horizontal=True,
                        sort="-probability (%)", height=40 * len(table) + 60)
        chart.dataframe(table, hide_index=True, width="stretch")
else:
    with right:
        st.subheader(f"{len(files)} files", anchor=False)
        bar = st.progress(0.0, text="Classifying…")
        rows = classify_files(
            model, ((f.name, f.data) for f in files), spec=spec,
            progress=lambda i, name: bar.progress(i / len(files), text=f"{i}/{len(files)}: {name}"),
        )
        bar.empty()
        table = pd.DataFrame([row.__dict__ for row in rows])
        table["probability"] = (100 * table["probability"]).round(2)
        table = table.rename(columns={"top1": "top-1", "probability": "probability (%)"})
        st.dataframe(table, hide_index=True, width="stretch")
        # on_click="ignore": a download must not rerun the page and classify everything again.
        st.download_button("Download CSV", table.to_csv(index=False).encode(), "classifications.csv",
                           mime="text/csv", icon=":material/download:", on_click="ignore")
