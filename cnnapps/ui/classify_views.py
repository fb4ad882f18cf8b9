"""Classify-page views (issue 13): the "not sure" hint with a searchable class list, a steady
forward-time figure, a label chart that never cuts labels, and the batch grid with a ZIP of
heat-map overlays. The page stays a thin sequence of these calls."""

from __future__ import annotations

import io
import statistics
from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st
from PIL import Image

from cnnapps.errors import CnnappsError
from cnnapps.loaded import LoadedModel
from cnnapps.registry import ModelSpec, list_models
from cnnapps.results import Classification
from cnnapps.ui.errors import show_error
from cnnapps.ui.loaders import cached_model

__all__ = ["LOW_CONFIDENCE", "batch_grid", "model_or_fallback", "class_search", "confidence_hint", "forward_time",
           "labels_chart", "matching_labels", "png_bytes"]

LOW_CONFIDENCE = 0.40  # below this top-1 probability the page says "not sure"
_RECENT = 9  # forward passes the time figure takes the median of


def matching_labels(labels: Sequence[str], query: str) -> list[str]:
    """Labels containing every word of ``query`` (case-insensitive), in the model's order."""
    words = query.lower().split()
    return [label for label in labels if all(w in label.lower() for w in words)]


def class_search(spec: ModelSpec, *, key: str, expanded: bool = False) -> None:
    """An expander with a search box over the model's label set."""
    labels = [label for label in (spec.labels or ()) if label != "background"]
    with st.expander(f"The {len(labels):,} classes this model knows", expanded=expanded):
        query = st.text_input("Search the classes", key=key, placeholder="e.g. horse, dog, car")
        if not query.strip():
            st.caption(f"Type a word to search its {len(labels):,} classes (" + ", ".join(labels[:5]) + ", …).")
            return
        found = matching_labels(labels, query)
        if not found:
            st.warning(f"No class matches “{query}”: this model cannot answer that; it will name the "
                       "closest classes it knows.", icon=":material/search_off:")
        else:
            st.caption(f"{len(found):,} of {len(labels):,} classes match")
            st.dataframe(pd.DataFrame({"class": found}), hide_index=True, width="stretch",
                         height=min(220, 35 * len(found) + 40))


def confidence_hint(result: Classification, spec: ModelSpec, *, key: str) -> None:
    """When the top class is unlikely, say so plainly and show what the model can recognise."""
    best = result.best
    if result.multi_label or best.probability >= LOW_CONFIDENCE:
        return
    n = len([label for label in (spec.labels or ()) if label != "background"])
    st.warning(
        f"**Not sure.** The best guess, “{best.label}”, has only {100 * best.probability:.1f} %. "
        f"The model only knows its {n:,} ImageNet classes: if the photo shows something outside them "
        "(ImageNet has no plain “horse”, for example), it names the nearest classes it knows.",
        icon=":material/help:")
    class_search(spec, key=key, expanded=False)


def forward_time(model_key: str, pass_key: str, elapsed_ms: float) -> str:
    """The median forward time of this session's recent *fresh* passes of a model, labelled.

    ``pass_key`` identifies one computed result (model, input digest, options): a cached result
    replayed on a rerun carries its old ``elapsed_ms`` and is not counted again, so the figure
    never presents an old pass as a new one.
    """
    store: dict[str, dict[str, float]] = st.session_state.setdefault("_forward_times", {})
    passes = store.setdefault(model_key, {})
    if pass_key not in passes:
        passes[pass_key] = elapsed_ms
        while len(passes) > _RECENT:
            passes.pop(next(iter(passes)))
    values = list(passes.values())
    median = statistics.median(values)
    return (f"forward pass **{median:.0f} ms** (median of the last {len(values)} "
            f"pass{'es' if len(values) != 1 else ''} here)")


def labels_chart(table: pd.DataFrame) -> alt.Chart:
    """Horizontal bars, longest first, full class names (no label limit)."""
    return (alt.Chart(table)
            .mark_bar(color="#0072B2")
            .encode(x=alt.X("probability (%):Q", scale=alt.Scale(domain=[0, 100])),
                    y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
                    tooltip=["label", "probability (%)"])
            .properties(height=32 * len(table) + 40))


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def batch_grid(items: Sequence[tuple[str, Image.Image | None, str]], *, columns: int = 4) -> None:
    """Thumbnails in a grid, each captioned with its file name and top-1 (or its error)."""
    for start in range(0, len(items), columns):
        cells = st.columns(columns)
        for cell, (name, thumb, caption) in zip(cells, items[start : start + columns], strict=False):
            with cell:
                if thumb is not None:
                    st.image(thumb, width="stretch")
                else:
                    st.markdown(":material/broken_image:")
                st.caption(f"**{name}**  \n{caption}")


def model_or_fallback(spec: ModelSpec, *, panel, key: str) -> LoadedModel:  # noqa: ANN001
    """The loaded model; if it cannot be had (offline, weights not cached), the message (raw
    errno text only inside its details expander) and a one-click way back to a bundled model,
    then this run ends."""
    try:
        return cached_model(spec.name)
    except CnnappsError as err:
        bundled = next((s for s in list_models(spec.task) if s.works_offline), None)
        with panel:
            show_error(err)
            if bundled is not None and bundled.name != spec.name:
                st.button(f"Use {bundled.display_name} (bundled, works offline)", type="primary",
                          icon=":material/undo:", key=f"{key}_fallback",
                          on_click=lambda: st.session_state.update({key: bundled.name}))
        st.stop()
