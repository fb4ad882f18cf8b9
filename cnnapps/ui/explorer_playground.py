"""The layer playground of the explorer page: convolution, pooling, activations, softmax, dense.

Each ``render_*`` reads its widgets, calls :mod:`cnnapps.explorer.ops` and draws the result; the
arithmetic lives in the core (tested against torch), never here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from cnnapps.errors import CnnappsError
from cnnapps.explorer import ops
from cnnapps.explorer.viz import enlarge, to_image
from cnnapps.ui.errors import show_error

__all__ = ["render_activations", "render_convolution", "render_dense", "render_pooling"]


def _kernel_table(kernel: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(np.round(kernel, 3), columns=[str(j) for j in range(kernel.shape[1])])


def render_convolution(grey: np.ndarray) -> None:
    """Kernel preset or typed kernel, size, stride, padding, dilation; input | kernel | output."""
    st.subheader("Convolution", anchor=False)
    c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 2, 2])
    preset = c1.selectbox("Kernel", [*ops.KERNEL_PRESETS, "typed numbers"], index=2, key="pg_preset")
    size = c2.selectbox("Size", [3, 5, 7], key="pg_size", disabled=preset == "typed numbers")
    stride = c3.number_input("Stride S", 1, 8, 1, key="pg_stride")
    padding = c4.number_input("Padding P", 0, 10, 1, key="pg_padding")
    dilation = c5.number_input("Dilation D", 1, 5, 1, key="pg_dilation")
    try:
        if preset == "typed numbers":
            text = st.text_area("Kernel rows (numbers separated by spaces, one row per line; 1/9 works)",
                                "0 -1 0\n-1 5 -1\n0 -1 0", key="pg_kernel_text", height=110)
            kernel = ops.parse_kernel(text)
        else:
            kernel = ops.kernel_preset(preset, size)
        out = ops.convolve(grey, kernel, stride=int(stride), padding=int(padding), dilation=int(dilation))
    except CnnappsError as err:
        show_error(err)
        return
    h, w = grey.shape
    k = kernel.shape[0]
    span = int(dilation) * (k - 1) + 1
    st.latex(
        rf"W_{{out}} = \left\lfloor \frac{{W + 2P - D(K-1) - 1}}{{S}} \right\rfloor + 1 = "
        rf"\left\lfloor \frac{{{w} + 2\cdot{int(padding)} - {int(dilation)}\cdot({k}-1) - 1}}{{{int(stride)}}}"
        rf"\right\rfloor + 1 = {out.shape[1]}"
    )
    st.caption(f"Input {h}x{w} -> output {out.shape[0]}x{out.shape[1]}. With D = 1 this is the textbook "
               f"(W - K + 2P) / S + 1; the kernel spans {span} pixels with dilation {int(dilation)}.")
    a, b, c = st.columns([3, 2, 3])
    a.image(grey, caption=f"input (grey) {h}x{w}", clamp=True, width="stretch")
    b.markdown("**kernel**")
    b.dataframe(_kernel_table(kernel), hide_index=True)
    c.image(to_image(out, symmetric=bool((out < 0).any())), caption=f"output {out.shape[0]}x{out.shape[1]} "
            "(blue < 0 < red)" if (out < 0).any() else f"output {out.shape[0]}x{out.shape[1]}",
            width="stretch")

    with st.expander("Step through one output pixel", expanded=False):
        r1, r2 = st.columns(2)
        row = r1.slider("output row", 0, out.shape[0] - 1, out.shape[0] // 2, key="pg_row")
        col = r2.slider("output column", 0, out.shape[1] - 1, out.shape[1] // 2, key="pg_col")
        step = ops.explain_pixel(grey, kernel, row=row, col=col, stride=int(stride), padding=int(padding),
                                 dilation=int(dilation))
        st.markdown(f"Output ({row}, {col}) reads input rows {step.rows[0]}..{step.rows[-1]} and columns "
                    f"{step.cols[0]}..{step.cols[-1]} (every {int(dilation)}; positions outside the image "
                    "are the zero padding).")
        w1, w2, w3 = st.columns(3)
        w1.markdown("input window")
        w1.dataframe(_kernel_table(step.window), hide_index=True)
        w2.markdown("x kernel")
        w2.dataframe(_kernel_table(step.kernel), hide_index=True)
        w3.markdown("= products")
        w3.dataframe(_kernel_table(step.products), hide_index=True)
        st.markdown(f"Sum of the products = **{step.value:.4f}** (the output pixel is "
                    f"{float(out[row, col]):.4f}).")


def render_pooling(grey: np.ndarray) -> None:
    st.subheader("Pooling", anchor=False)
    c1, c2, c3 = st.columns(3)
    size = c1.selectbox("Window", [2, 3, 4, 8], key="pool_size")
    stride = c2.selectbox("Stride", [1, 2, 3, 4, 8], index=1, key="pool_stride")
    region = c3.slider("Zoom on a corner (pixels)", 16, 64, 32, key="pool_zoom")
    try:
        pooled = {kind: ops.pool(grey, kind=kind, size=size, stride=stride) for kind in ("max", "average")}
    except CnnappsError as err:
        show_error(err)
        return
    a, b, c = st.columns(3)
    a.image(grey, caption=f"input {grey.shape[0]}x{grey.shape[1]}", clamp=True, width="stretch")
    b.image(pooled["max"], caption=f"max pool -> {pooled['max'].shape[0]}x{pooled['max'].shape[1]}",
            clamp=True, width="stretch")
    c.image(pooled["average"], caption=f"average pool -> {pooled['average'].shape[0]}x"
            f"{pooled['average'].shape[1]}", clamp=True, width="stretch")
    z = grey[:region, :region]
    zp = {k: v[: max(1, region // stride), : max(1, region // stride)] for k, v in pooled.items()}
    a, b, c = st.columns(3)
    a.image(enlarge(to_image(z, cmap=None), min_side=240), caption=f"top-left {region}x{region}", clamp=True)
    b.image(enlarge(Image.fromarray(np.uint8(np.clip(zp["max"], 0, 1) * 255)), min_side=240),
            caption="max keeps the strongest response in each window", clamp=True)
    c.image(enlarge(Image.fromarray(np.uint8(np.clip(zp["average"], 0, 1) * 255)), min_side=240),
            caption="average keeps the mean: smoother, fine detail blurred", clamp=True)
    kept = 100.0 * pooled["max"].size / grey.size
    st.caption(f"Both keep {pooled['max'].size:,} of {grey.size:,} values ({kept:.1f} %): where in the "
               "window the maximum was is lost, which is the small shift tolerance pooling buys.")


def render_activations(grey: np.ndarray) -> None:
    st.subheader("Activations", anchor=False)
    xs = np.linspace(-4, 4, 161, dtype=np.float32)
    curves = pd.DataFrame({name: ops.activate(xs, name) for name in ops.ACTIVATIONS}, index=xs)
    st.line_chart(curves, x_label="input", y_label="output", height=260)
    name = st.selectbox("Apply to a real feature map (the Sobel x edge map of the image)",
                        list(ops.ACTIVATIONS), key="act_name")
    edges = ops.convolve(grey, ops.kernel_preset("Sobel x (vertical edges)"), padding=1)
    after = ops.activate(edges, name)
    a, b = st.columns(2)
    a.image(to_image(edges, symmetric=True), caption="feature map (blue < 0 < red)", width="stretch")
    b.image(to_image(after, symmetric=True), caption=f"after {name}: "
            f"{100 * float((after <= 0).mean()):.0f} % of the values are <= 0", width="stretch")

    st.subheader("Softmax with temperature", anchor=False)
    c1, c2 = st.columns([3, 2])
    text = c1.text_input("Logits (the last layer's scores), comma-separated", "2.0, 1.0, 0.1, -1.0",
                         key="sm_logits")
    temperature = c2.slider("Temperature T", 0.05, 10.0, 1.0, 0.05, key="sm_temperature")
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
        probs = ops.softmax(np.asarray(values), temperature=temperature)
    except ValueError as err:
        show_error(err if isinstance(err, CnnappsError) else
                   ops.InvalidLayerSettings("Logits must be numbers separated by commas, e.g. 2, 1, 0.1"))
        return
    st.bar_chart(pd.DataFrame({"probability": probs}, index=[f"class {i} ({v:g})" for i, v in
                                                             enumerate(values)]), height=220)
    st.caption("softmax(z / T): T < 1 sharpens towards the largest logit, T > 1 flattens towards "
               "uniform; the ranking never changes.")


def render_dense() -> None:
    st.subheader("Fully connected", anchor=False)
    c1, c2, c3 = st.columns(3)
    channels = c1.number_input("Channels C of the last feature map", 1, 4096, 16, key="fc_c")
    side = c2.number_input("Its height = width", 1, 64, 5, key="fc_side")
    units = c3.number_input("Units of the dense layer", 1, 10000, 120, key="fc_units")
    inputs = int(channels) * int(side) ** 2
    params = inputs * int(units) + int(units)
    st.markdown(
        f"Flatten turns {int(channels)} x {int(side)} x {int(side)} into a vector of **{inputs:,}** numbers. "
        f"A dense layer with {int(units):,} units has one weight per input per unit plus one bias per unit: "
        f"{inputs:,} x {int(units):,} + {int(units):,} = **{params:,} parameters**, and as many "
        "multiply-adds for one image.")
    st.caption("LeNet-5's C5 is exactly this with C = 16, 5 x 5 and 120 units: 48,120 parameters. "
               "VGG-16's first dense layer (512 x 7 x 7 -> 4096) holds 102,764,544 of its 138 M.")
