"""Streamlit helpers of the medical page: cached decoding and x-ray runs, the window picker, charts.

Decoded DICOM files and x-ray results are cached per content digest (sha256), so moving a slider
or the window never decodes or runs the model again (display settings never recompute). Nothing
per-user is kept here beyond that content-addressed cache, which holds no more than a few files.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw

from cnnapps.loaded import LoadedModel
from cnnapps.medical.dicom import (
    PRESETS,
    DicomImage,
    DicomSeries,
    Window,
    default_window,
    read_dicom,
    read_series,
    read_zip,
)
from cnnapps.results.xray import XrayFindings
from cnnapps.ui.inputs import InputFile

__all__ = ["cached_dicom", "cached_series", "cached_xray", "expand_zips", "histogram_chart",
           "png_bytes", "radiograph_with_cam", "window_picker"]


@st.cache_resource(show_spinner="Decoding DICOM…", max_entries=24)
def cached_dicom(digest: str, name: str, _data: bytes) -> DicomImage:
    return read_dicom(_data, name=name)


@st.cache_resource(show_spinner="Stacking the series…", max_entries=4)
def cached_series(digests: tuple[str, ...], _images: Sequence[DicomImage]) -> DicomSeries:
    return read_series(list(_images))


@st.cache_resource(show_spinner="Reading the radiograph…", max_entries=16)
def cached_xray(model_name: str, device: str, digest: str, name: str, _data: bytes,
                _loaded: LoadedModel) -> XrayFindings:
    from cnnapps.medical.xray import xray

    return xray(_loaded, _data, with_cam=True, name=name)


def expand_zips(files: Sequence[InputFile]) -> list[InputFile]:
    """ZIP uploads replaced by the files inside them (a series exported as one archive)."""
    out: list[InputFile] = []
    for f in files:
        if f.data[:4] == b"PK\x03\x04" or f.name.lower().endswith(".zip"):
            out += [InputFile(n, d) for n, d in read_zip(f.data, name=f.name)]
        else:
            out.append(f)
    return out


def window_picker(image: DicomImage, *, key: str) -> Window | str:
    """Select box over the file's windows, its VOI LUT, the presets and "manual" (centre/width)."""
    options: list[str] = [w.name for w in image.windows]
    if image.has_voi_lut:
        options.append("file LUT")
    default = default_window(image)
    if isinstance(default, Window) and default.name == "full range":
        options.append("full range")
    options += list(PRESETS) + ["manual"]
    choice = st.selectbox("Window", options, key=f"{key}_window",
                          help="The file's own windows first; presets are CT windows in HU "
                               "(lung, mediastinum, bone, brain, abdomen, soft tissue).")
    if choice == "full range":
        return default
    if choice != "manual":
        return choice
    base = default if isinstance(default, Window) else Window(*_range_window(image))
    c1, c2 = st.columns(2)
    center = c1.number_input("Centre", value=float(round(base.center, 1)), key=f"{key}_center")
    width = c2.number_input("Width", value=float(round(base.width, 1)), min_value=1.0, key=f"{key}_width")
    return Window(float(center), float(width))


def _range_window(image: DicomImage) -> tuple[float, float]:
    lo, hi = image.value_range
    return (lo + hi) / 2, max(1.0, hi - lo)


def histogram_chart(counts: np.ndarray, edges: np.ndarray, window: Window | None) -> alt.LayerChart:
    """Bars of the stored (modality) values, with the window's low and high edges as rules."""
    frame = pd.DataFrame({"from": edges[:-1], "to": edges[1:], "pixels": counts})
    bars = alt.Chart(frame).mark_bar(color="#6b7fa3").encode(
        x=alt.X("from:Q", title="value (modality units)"), x2="to:Q",
        y=alt.Y("pixels:Q", scale=alt.Scale(type="symlog"), title="pixels (log)"))
    if window is None:
        return alt.layer(bars).properties(height=180)
    rules = pd.DataFrame({"value": [window.low, window.high], "edge": ["window low", "window high"]})
    lines = alt.Chart(rules).mark_rule(color="#d62728", strokeWidth=2).encode(x="value:Q", tooltip=["edge", "value"])
    return alt.layer(bars, lines).properties(height=180)


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def radiograph_with_cam(findings: XrayFindings, *, alpha: float, max_side: int = 900) -> Image.Image:
    """The full radiograph, the model's square outlined, and Grad-CAM blended inside that square."""
    from cnnapps.viz import overlay_heatmap

    image = Image.fromarray(findings.display).convert("RGB")
    left, top, right, bottom = findings.crop_box
    if findings.heatmap is not None and alpha > 0:
        square = image.crop(findings.crop_box)
        image.paste(overlay_heatmap(square, findings.heatmap, alpha=alpha), (left, top))
    scale = min(1.0, max_side / max(image.size))
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.BILINEAR)
        left, top, right, bottom = (round(v * scale) for v in (left, top, right, bottom))
    ImageDraw.Draw(image).rectangle((left, top, right - 1, bottom - 1), outline=(255, 215, 0),
                                    width=max(2, image.width // 300))
    return image
