"""Architecture explorer and comparison table for the explorer page (cached summaries)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from cnnapps.explorer.architectures import ARCHITECTURES, block_diagram, measure_latency, summarise
from cnnapps.registry import get_spec

__all__ = ["cached_diagram", "cached_summary", "metrics_of", "render_architecture", "render_comparison"]


@st.cache_data(show_spinner="Summarising the layers (torchinfo, random weights)...", max_entries=16)
def cached_summary(name: str) -> dict[str, Any]:
    s = summarise(name)
    return {"table": s.table(), "total_params": s.total_params, "trainable": s.trainable_params,
            "mult_adds": s.mult_adds, "weight_layers": s.weight_layers, "input": s.input_shape,
            "display_name": s.display_name}


@st.cache_data(show_spinner=False, max_entries=16)
def cached_diagram(name: str) -> str:
    return block_diagram(name)


@st.cache_data(show_spinner="Timing forward passes on this machine's CPU...", max_entries=16)
def cached_latency(name: str) -> float:
    return measure_latency(name, repeats=3)


def metrics_of(spec: Any) -> dict[str, float]:
    meta = getattr(spec, "meta", None)
    return dict(getattr(meta, "metrics", None) or getattr(spec, "metrics", None) or {})


def render_architecture(name: str) -> None:
    arch = ARCHITECTURES[name]
    info = cached_summary(name)
    st.subheader(f"{arch.title} ({arch.year})", anchor=False)
    st.markdown(f"**Paper:** {arch.paper}.  \n**Design idea:** {arch.idea}")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Parameters", f"{info['total_params']:,}")
    m2.metric("Multiply-adds / image", f"{info['mult_adds'] / 1e6:,.1f} M")
    m3.metric("Weight layers (conv + fc)", info["weight_layers"])
    m4.metric("Input", " x ".join(map(str, info["input"])))
    left, right = st.columns([5, 2])
    with left:
        st.markdown("**Layer table** (leaf layers, from torchinfo; parameters and multiply-adds of the "
                    "layer itself)")
        st.dataframe(pd.DataFrame(info["table"]), hide_index=True, height=700, width="stretch",
                     column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                    "mult-adds": st.column_config.NumberColumn(format="localized")})
    with right:
        st.markdown("**Blocks** (straight runs merged; red edges are skip connections)")
        st.graphviz_chart(cached_diagram(name), width="stretch")


def render_comparison(*, measure: bool) -> pd.DataFrame:
    rows = []
    for name, arch in ARCHITECTURES.items():
        spec = get_spec(name)
        info = cached_summary(name)
        top1 = next((v for k, v in metrics_of(spec).items() if "ImageNet top-1" in k), None)
        row = {
            "model": arch.title, "year": arch.year,
            "weight layers": info["weight_layers"], "parameters": info["total_params"],
            "mult-adds (M)": round(info["mult_adds"] / 1e6, 1),
            "ImageNet top-1 (%)": round(top1, 1) if top1 is not None else None,
            "input": " x ".join(map(str, info["input"])),
        }
        if measure:
            row["CPU latency here (ms)"] = round(cached_latency(name), 1)
        rows.append(row)
    return pd.DataFrame(rows)
