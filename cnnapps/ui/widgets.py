"""Widgets shared by pages: the model picker, the model card and the download buttons."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from cnnapps.registry import ModelSpec, list_models

__all__ = ["download_csv", "download_zip", "model_details", "model_picker"]


def _availability(spec: ModelSpec, hub_online: bool | None) -> str:
    """How a model's name reads in the picker: bundled, cached, downloadable, or not now."""
    if spec.works_offline:
        return spec.display_name
    from cnnapps.weights import missing_weights  # file checks only, no network

    if not missing_weights(spec):
        return f"{spec.display_name} · cached"
    if hub_online is False:
        return f"{spec.display_name} · unavailable offline"
    return spec.display_name if "download" in spec.display_name else f"{spec.display_name} (download)"


def model_picker(task: str, *, key: str, label: str = "Model") -> ModelSpec:
    """A select box over the registry's models for ``task``; offline models first.

    Models whose weights are neither bundled nor cached are marked "unavailable offline" while the
    model hub is unreachable (the sidebar's background check; never blocks the page).
    """
    from cnnapps.ui.sidebar import hub_status

    specs = {s.name: s for s in list_models(task)}
    online = hub_status()
    labels = {n: _availability(spec, online) for n, spec in specs.items()}
    # Options are the registry names (plain strings): Streamlit deep-copies widget values.
    name = st.selectbox(
        label,
        list(specs),
        format_func=labels.__getitem__,
        key=key,
        help="Bundled models work offline; the others are downloaded once and cached.",
    )
    return specs[name or next(iter(specs))]


def model_details(spec: ModelSpec) -> None:
    """An "About this model" expander: description, licence, paper, measured numbers."""
    meta = spec.meta
    with st.expander("About this model"):
        st.markdown(f"**{spec.display_name}**: {meta.description}")
        st.markdown(f"Licence: {meta.licence}  \nPaper: {meta.citation}")
        for metric, value in meta.metrics.items():
            st.markdown(f"{metric}: **{value:.1f}**")
        if meta.caveat:
            st.caption(meta.caveat)


def download_csv(rows: Sequence[Mapping[str, Any]] | pd.DataFrame, filename: str, *,
                 label: str = "Download CSV", key: str | None = None) -> None:
    """A CSV download of table rows; clicking it does not rerun the page (nothing recomputes)."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    st.download_button(label, frame.to_csv(index=False).encode("utf-8"), filename, mime="text/csv",
                       icon=":material/download:", on_click="ignore", key=key)


def download_zip(files: Mapping[str, bytes], filename: str, *, label: str = "Download ZIP",
                 key: str | None = None) -> None:
    """A ZIP of ``{name inside the archive: bytes}``; clicking it does not rerun the page."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    st.download_button(label, buffer.getvalue(), filename, mime="application/zip",
                       icon=":material/folder_zip:", on_click="ignore", key=key)
