"""Medical imaging: a DICOM viewer that follows the standard, and a chest X-ray CNN we trained."""

import pandas as pd
import streamlit as st

from cnnapps.medical.dicom import DicomImage, Window, deidentify, histogram, render, render_volume_views
from cnnapps.medical.samples import available_samples, sample_files
from cnnapps.results.xray import DISCLAIMER
from cnnapps.ui.errors import error_panel, show_error
from cnnapps.ui.inputs import InputFile, InputKind, file_input
from cnnapps.ui.loaders import app_device, model_or_stop
from cnnapps.ui.medical import (
    cached_dicom,
    cached_series,
    cached_xray,
    expand_zips,
    histogram_chart,
    png_bytes,
    radiograph_with_cam,
    window_picker,
)
from cnnapps.ui.navigation import ensure_app_navigation
from cnnapps.ui.widgets import download_csv, model_details, model_picker

ensure_app_navigation()

DICOM_KIND = InputKind("DICOM file", ())  # any name: DICOM files often have no suffix; ZIPs too
RADIOGRAPH_KIND = InputKind("radiograph", ("dcm", "dicom", "png", "jpg", "jpeg"))

st.title("Medical imaging")
st.caption("Read DICOM files the way the standard says, and ask a small CNN, trained here on "
           "PneumoniaMNIST, whether a chest radiograph shows pneumonia.")
st.warning(DISCLAIMER, icon=":material/medical_information:")

mode = st.segmented_control("Tool", ["DICOM viewer", "Chest X-ray"], default="DICOM viewer",
                            key="med_mode", label_visibility="collapsed") or "DICOM viewer"


def _chosen_files(key: str, kind: InputKind, sample_keys: tuple[str, ...] | None = None) -> list[InputFile]:
    samples = [s for s in available_samples() if sample_keys is None or s.key in sample_keys]
    source = st.segmented_control("Source", ["Sample", "Upload"], default="Sample", key=f"{key}_src",
                                  label_visibility="collapsed") or "Sample"
    if source == "Upload":
        return file_input(kind, key=key, multiple=True)
    by_caption = {s.caption: s for s in samples}
    caption = st.selectbox("Sample", list(by_caption), key=f"{key}_sample",
                           help="pydicom's and pydicom-data's test files (MIT licence).")
    return [InputFile(p.name, p.read_bytes()) for p in sample_files(by_caption[caption])]


# ------------------------------------------------------------------------------ DICOM viewer
if mode == "DICOM viewer":
    left, right = st.columns([2, 3])
    with left:
        files = _chosen_files("dicom", DICOM_KIND)
    if not files:
        right.info("Upload one DICOM file, several slices of a series, or a ZIP of a series.",
                   icon=":material/upload_file:")
        st.stop()
    images: list[tuple[InputFile, DicomImage]] = []
    problems: list[tuple[str, Exception]] = []
    try:
        files = expand_zips(files)
    except Exception as err:  # a broken ZIP: say so, keep the page
        with right:
            show_error(err)
        st.stop()
    for f in files:
        try:
            images.append((f, cached_dicom(f.digest, f.name, f.data)))
        except Exception as err:
            problems.append((f.name, err))
    with right:
        for name, err in problems[:5]:
            show_error(err, context=name)
        if len(problems) > 5:
            st.caption(f"… and {len(problems) - 5} more files could not be read.")
    if not images:
        st.stop()

    series = None
    slices = [im for _, im in images if im.n_frames == 1 and not im.is_color and im.position is not None]
    if len(slices) >= 2:
        with right, error_panel("series"):
            series = cached_series(tuple(sorted(f.digest for f, _ in images)), slices)

    with left:
        if series is not None:
            image = series.first
            st.caption(f"Series of {len(series.slices)} slices, sorted along the slice normal; "
                       f"spacing {series.spacing[0]:.2f} mm between slices, "
                       f"{series.spacing[1]:.2f} x {series.spacing[2]:.2f} mm pixels.")
            index = st.slider("Slice", 1, len(series.slices), len(series.slices) // 2 + 1, key="dicom_slice") - 1
            image, frame = series.slices[index], 0
        else:
            names = [f.name for f, _ in images]
            pick = st.selectbox("File", range(len(images)), format_func=names.__getitem__, key="dicom_file") if len(images) > 1 else 0
            file, image = images[pick]
            frame = st.slider("Frame", 1, image.n_frames, 1, key="dicom_frame") - 1 if image.n_frames > 1 else 0
        window = None if image.is_color else window_picker(image, key="dicom")
        if image.forced:
            st.info("This file has no DICM preamble; it was read as a raw data set (force=True) "
                    "because it parsed into valid image attributes.", icon=":material/info:")

    with right:
        with error_panel("display"):
            pixels = render(image, frame=frame, window=window)
            st.image(pixels, width="stretch")
            st.caption(f"{image.name}: {image.modality or '?'} · {image.photometric} · "
                       f"{image.columns} x {image.rows} · {image.transfer_syntax}")
            if series is not None:
                z, r, c = index, image.rows // 2, image.columns // 2
                views = render_volume_views(series, index=(z, r, c), window=window)
                cols = st.columns(3)
                for col, (plane, view) in zip(cols, views.items(), strict=True):
                    col.image(view, caption=plane, width="stretch")
            if not image.is_color:
                counts, edges = histogram(image, frame=frame)
                shown = window if isinstance(window, Window) else next(
                    (w for w in image.windows if w.name == window), None)
                st.altair_chart(histogram_chart(counts, edges, shown), width="stretch")
        d1, d2 = st.columns(2)
        d1.download_button("Rendered PNG", png_bytes(pixels), f"{image.name}.png", mime="image/png",
                           icon=":material/image:", on_click="ignore", key="dicom_png")
        source = next(f for f, im in images if im is image)
        with error_panel("de-identification"):
            d2.download_button("De-identified DICOM (PS3.15 basic profile)", deidentify(source.data, name=source.name),
                               f"{source.name.rsplit('.', 1)[0]}_deid.dcm", mime="application/dicom",
                               icon=":material/shield_person:", on_click="ignore", key="dicom_deid")
        st.caption("De-identification removes or replaces the header attributes of DICOM PS3.15 "
                   "Table E.1-1 and private tags; text burned into the pixels is not removed.")
        reveal = st.toggle("Show identifying values", value=False, key="dicom_reveal",
                           help="Patient and other identifying attributes are masked by default.")
        table = pd.DataFrame([{"tag": r.tag, "name": r.name, "VR": r.vr,
                               "value": r.raw if reveal else r.value} for r in image.metadata])
        st.dataframe(table, hide_index=True, width="stretch", height=300)

# ------------------------------------------------------------------------------- Chest X-ray
else:
    left, right = st.columns([2, 3])
    with left:
        spec = model_picker("xray", key="xray_model")
        model_details(spec)
        files = _chosen_files("xray", RADIOGRAPH_KIND, ("chest_cr", "chest_cr_j2k", "ct", "mr"))
        alpha = st.slider("Grad-CAM opacity", 0.0, 1.0, 0.4, 0.05, key="xray_alpha")
    if not files:
        right.info("Upload a chest radiograph (JPEG, PNG or DICOM).", icon=":material/upload_file:")
        st.stop()
    loaded = model_or_stop(spec, panel=right)
    rows = []
    for i, f in enumerate(files[:20]):
        with right:
            try:
                res = cached_xray(spec.name, str(app_device()), f.digest, f.name, f.data, loaded)
            except Exception as err:
                show_error(err, context=f.name)
                rows.append({"file": f.name, "error": str(err)})
                continue
            rows += res.rows()
            if i > 0:
                continue  # one detailed view; the others go to the table
            verdict = res.label
            st.subheader(f"{verdict} · P(pneumonia) {100 * res.probability:.1f} %", anchor=False)
            st.progress(min(1.0, res.probability),
                        text=f"decision threshold {100 * res.threshold:.1f} % (picked on the validation split)")
            for w in res.warnings:
                st.warning(w, icon=":material/warning:")
            if res.warnings:
                st.caption("This input is outside what the model knows: its answer above is not meaningful.")
            c1, c2 = st.columns([3, 1])
            c1.image(radiograph_with_cam(res, alpha=alpha), width="stretch",
                     caption="The yellow square is what the model sees (centre crop, as MedMNIST made its "
                             "images); colours: Grad-CAM of 'pneumonia'.")
            c2.image((res.model_input * 255).astype("uint8"), caption="model input, 28 x 28",
                     width="stretch", clamp=True)
            c2.caption(f"{res.elapsed_ms:.0f} ms on {res.device}; out-of-distribution score "
                       f"{res.ood_score:.1f} (flag above {res.ood_threshold:.1f})")
    if len(files) > 1:
        with right:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            download_csv(rows, "xray_results.csv", key="xray_csv")
