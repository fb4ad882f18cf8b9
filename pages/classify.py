"""Classify an image: top-k labels, a Grad-CAM heat map, and a CSV for many files."""

import pandas as pd
import streamlit as st
from PIL import ImageOps

from cnnapps.errors import CnnappsError
from cnnapps.preprocess import heatmap_canvas
from cnnapps.ui.classify_views import (
    batch_grid,
    class_search,
    confidence_hint,
    forward_time,
    labels_chart,
    model_or_fallback,
    png_bytes,
)
from cnnapps.ui.errors import show_error
from cnnapps.ui.inputs import IMAGE, file_input
from cnnapps.ui.loaders import MAX_TOP_K, app_device, cached_classification
from cnnapps.ui.navigation import ensure_app_navigation
from cnnapps.ui.progress import progress_bar
from cnnapps.ui.widgets import download_csv, download_zip, model_details, model_picker
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
    class_search(spec, key="classify_class_search")

loaded = model_or_fallback(spec, panel=right, key="classify_model")
device = str(app_device())


def classified(file):  # noqa: ANN001, ANN202  (page-local helper)
    return cached_classification(spec.name, device, file.digest, with_cam=with_cam,
                                 _data=file.data, _loaded=loaded)


if not files:
    right.info("Choose a sample photo, upload a photo or take one with the camera.",
               icon=":material/photo:")
    st.stop()

def show_one(file) -> None:  # noqa: ANN001  (page-local view of one file's full result)
    try:
        image, result = classified(file)
    except CnnappsError as err:
        show_error(err, context=file.name)
        return
    best = result.best
    st.subheader(f"{best.label}", anchor=False)
    pre = spec.preprocessing
    timing = forward_time(f"{spec.name}@{device}", f"{file.digest}:{with_cam}", result.elapsed_ms)
    st.markdown(f"**{100 * best.probability:.1f} %** · {timing} on `{result.device}` · "
                f"model input {pre.input_size[1]}×{pre.input_size[0]} px")
    confidence_hint(result, spec, key=f"classify_hint_search:{file.digest}")
    photo, chart = st.columns(2)
    if result.heatmap is not None:
        photo.image(overlay_heatmap(heatmap_canvas(image, pre), result.heatmap, alpha=alpha),
                    caption=f"Grad-CAM: where the evidence for “{best.label}” lies", width="stretch")
    else:
        photo.image(image, caption=file.name, width="stretch")
    table = pd.DataFrame(predictions_table(result.top[:top_k]))
    chart.altair_chart(labels_chart(table), width="stretch")
    chart.dataframe(table, hide_index=True, width="stretch",
                    column_config={"label": st.column_config.TextColumn(width="large")})


if len(files) == 1:
    with right:
        show_one(files[0])
else:
    with right:
        st.subheader(f"{len(files)} files", anchor=False)
        update, close = progress_bar("Classifying…")
        rows, grid, overlays = [], [], {}
        for i, file in enumerate(files, start=1):
            try:
                image, result = classified(file)
                best = result.best
                rows.append({"file": file.name, "top-1": best.label,
                             "probability (%)": round(100 * best.probability, 2), "error": ""})
                thumb = ImageOps.fit(image, (256, 256))  # square crops: an even grid
                grid.append((file.name, thumb, f"{best.label} · {100 * best.probability:.1f} %"))
                if result.heatmap is not None:
                    canvas = overlay_heatmap(heatmap_canvas(image, spec.preprocessing), result.heatmap,
                                             alpha=alpha)
                    overlays[f"{i:03d}_{file.name.rsplit('.', 1)[0]}_gradcam.png"] = png_bytes(canvas)
            except CnnappsError as err:
                rows.append({"file": file.name, "top-1": "", "probability (%)": None, "error": str(err)})
                grid.append((file.name, None, f"error: {err}"))
            update(i, len(files), f"{i}/{len(files)}: {file.name}")
        close()
        batch_grid(grid)
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"top-1": st.column_config.TextColumn(width="medium"),
                                    "error": st.column_config.TextColumn(width="large")})
        csv_col, zip_col = st.columns(2)
        with csv_col:
            download_csv(rows, "classifications.csv")
        with zip_col:
            if overlays:
                download_zip(overlays, "gradcam_overlays.zip", label="Download heat-map overlays (ZIP)")
            else:
                st.caption("Turn on Grad-CAM to download the heat-map overlays.")
        chosen = st.selectbox("Full result for one file", range(len(files)), key="classify_batch_pick",
                              format_func=lambda i: f"{i + 1}. {files[i].name}")
        st.divider()
        show_one(files[chosen or 0])
