"""Classify an image: top-k labels, a Grad-CAM heat map, and a CSV for many files."""

import pandas as pd
import streamlit as st

from cnnapps.errors import CnnappsError
from cnnapps.preprocess import heatmap_canvas
from cnnapps.ui.errors import show_error
from cnnapps.ui.inputs import IMAGE, file_input
from cnnapps.ui.loaders import MAX_TOP_K, app_device, cached_classification, model_or_stop
from cnnapps.ui.navigation import ensure_app_navigation
from cnnapps.ui.progress import progress_bar
from cnnapps.ui.widgets import download_csv, model_details, model_picker
from cnnapps.viz import overlay_heatmap, predictions_table

ensure_app_navigation()

st.title("Classify an image")
st.caption("Which of ImageNet's 1000 classes is in the photo, and where did the network look?")

left, right = st.columns([2, 3])
with left:
    spec = model_picker("classification", key="classify_model")
    top_k = st.slider("How many classes to show (top-k)", 1, MAX_TOP_K, 5, key="classify_topk")
    with_cam = st.toggle("Grad-CAM heat map", value=True, key="classify_cam",
                         help="Selvaraju et al. 2017: where the evidence for the top class lies.")
    alpha = st.slider("Heat-map opacity", 0.0, 1.0, 0.5, 0.05, key="classify_alpha",
                      disabled=not with_cam)
    files = file_input(IMAGE, key="classify")
    model_details(spec)

loaded = model_or_stop(spec, panel=right)
device = str(app_device())


def classified(file):  # noqa: ANN001, ANN202  (page-local helper)
    return cached_classification(spec.name, device, file.digest, with_cam=with_cam,
                                 _data=file.data, _loaded=loaded)


if not files:
    right.info("Choose a sample photo, upload a photo or take one with the camera.",
               icon=":material/photo:")
    st.stop()

if len(files) == 1:
    with right:
        try:
            image, result = classified(files[0])
        except CnnappsError as err:
            show_error(err, context=files[0].name)
            st.stop()
        best = result.best
        st.subheader(f"{best.label}", anchor=False)
        pre = spec.preprocessing
        st.markdown(
            f"**{100 * best.probability:.1f} %** · forward pass **{result.elapsed_ms:.0f} ms** on "
            f"`{result.device}` · model input {pre.input_size[1]}×{pre.input_size[0]} px"
        )
        photo, chart = st.columns(2)
        if result.heatmap is not None:
            photo.image(overlay_heatmap(heatmap_canvas(image, pre), result.heatmap, alpha=alpha),
                        caption=f"Grad-CAM: where the evidence for “{best.label}” lies",
                        width="stretch")
        else:
            photo.image(image, caption=files[0].name, width="stretch")
        table = pd.DataFrame(predictions_table(result.top[:top_k]))
        chart.bar_chart(table, x="label", y="probability (%)", horizontal=True,
                        sort="-probability (%)", height=40 * len(table) + 60)
        chart.dataframe(table, hide_index=True, width="stretch")
else:
    with right:
        st.subheader(f"{len(files)} files", anchor=False)
        update, close = progress_bar("Classifying…")
        rows = []
        for i, file in enumerate(files, start=1):
            try:
                best = classified(file)[1].best
                rows.append({"file": file.name, "top-1": best.label,
                             "probability (%)": round(100 * best.probability, 2), "error": ""})
            except CnnappsError as err:
                rows.append({"file": file.name, "top-1": "", "probability (%)": None, "error": str(err)})
            update(i, len(files), f"{i}/{len(files)}: {file.name}")
        close()
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        download_csv(rows, "classifications.csv")
