"""Widgets shared by pages: the model picker and the image input (upload / camera / sample)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnapps.registry import ModelSpec, Task, list_models
from cnnapps.samples import SAMPLES, sample_bytes

__all__ = ["IMAGE_TYPES", "InputFile", "image_input", "model_details", "model_picker"]

# What the uploader offers; anything else is still checked by load_image, which says why it fails.
IMAGE_TYPES = ["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "gif"]

_SOURCES = {
    "sample": ":material/photo_library: Sample photo",
    "upload": ":material/upload: Upload",
    "camera": ":material/photo_camera: Camera",
}


@dataclass(frozen=True)
class InputFile:
    name: str
    data: bytes


def model_picker(task: Task, *, key: str) -> ModelSpec:
    """A select box over the registry's models for ``task``; bundled (offline) models first."""
    specs = {s.name: s for s in list_models(task)}
    # Options are the registry names (plain strings): Streamlit deep-copies widget values.
    name = st.selectbox(
        "Model",
        list(specs),
        format_func=lambda n: specs[n].display_name
        if specs[n].weights.bundled
        else f"{specs[n].display_name} (download)",
        key=key,
        help="Bundled models work offline; the others are downloaded once from the PyTorch hub "
        "and cached.",
    )
    return specs[name or next(iter(specs))]


def model_details(spec: ModelSpec) -> None:
    """An "About this model" expander: description, licence, paper, measured numbers."""
    with st.expander("About this model"):
        st.markdown(f"**{spec.display_name}**: {spec.description}")
        st.markdown(f"Licence: {spec.licence}  \nPaper: {spec.citation}")
        for metric, value in spec.metrics.items():
            st.markdown(f"{metric}: **{value:.1f}**")


def image_input(*, key: str, multiple: bool = True) -> list[InputFile]:
    """Photos chosen by the user, from a bundled sample, an upload (several) or the camera."""
    source = st.segmented_control(
        "Image source",
        list(_SOURCES),
        format_func=_SOURCES.__getitem__,
        default="sample",
        key=f"{key}_source",
        label_visibility="collapsed",
    )
    if source == "upload":
        uploads = st.file_uploader(
            "Upload one or more photos",
            type=IMAGE_TYPES,
            accept_multiple_files=multiple,
            key=f"{key}_upload",
        )
        if uploads is None:
            return []
        uploads = uploads if isinstance(uploads, list) else [uploads]
        return [InputFile(u.name, u.getvalue()) for u in uploads]
    if source == "camera":
        shot = st.camera_input("Take a photo", key=f"{key}_camera")
        return [InputFile("camera.jpg", shot.getvalue())] if shot is not None else []
    by_caption = {f"{s.caption}": s for s in SAMPLES}
    caption = st.selectbox("Sample photo", list(by_caption), key=f"{key}_sample")
    sample = by_caption[caption or next(iter(by_caption))]
    return [InputFile(sample.filename, sample_bytes(sample.name))]
