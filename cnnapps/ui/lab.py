"""Streamlit side of the training lab: per-session job state, live charts, downloads.

Per-user state lives in ``st.session_state`` only (house rule 6): the running job
(:class:`cnnapps.lab.runner.LabJob`), the finished runs and the last tour. Nothing here is in
``st.cache_resource``. Charts are Altair (bundled with Streamlit).
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
import torch

from cnnapps.lab.runner import LabJob
from cnnapps.lab.trainer import LabRun

__all__ = ["MAX_HISTORY", "accuracy_chart", "add_finished", "current_job", "history", "loss_chart",
           "overlay_chart", "run_zip", "set_job", "tour_chart"]

MAX_HISTORY = 12  # finished runs kept per session (each holds its weights on the CPU)
JOB_KEY, HISTORY_KEY, TOUR_KEY, COUNTER_KEY = "lab_job", "lab_history", "lab_tour", "lab_counter"
TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#ff7f0e"
_EPOCH_AXIS = alt.Axis(format="d", tickMinStep=1)  # whole epochs, never "2.5"


def current_job() -> LabJob | None:
    return st.session_state.get(JOB_KEY)


def set_job(job: LabJob | None) -> None:
    st.session_state[JOB_KEY] = job


def history() -> list[dict[str, Any]]:
    """Finished runs of this session, oldest first: ``{"id": int, "label": str, "run": LabRun}``."""
    return st.session_state.setdefault(HISTORY_KEY, [])


def add_finished(runs: Sequence[LabRun], *, prefix: str = "") -> None:
    items = history()
    counter = st.session_state.setdefault(COUNTER_KEY, itertools.count(1))
    for run in runs:
        if not run.history:  # stopped before its first epoch ended: nothing to show or download
            continue
        n = next(counter)
        cures = ", ".join(run.config.cures) or "no cure"
        items.append({"id": n, "label": f"#{n} {prefix}{run.config.model} · {run.config.train_size} imgs · {cures}",
                      "run": run})
    del items[:-MAX_HISTORY]  # oldest runs (and their weights) go first


def _frame(rows: Sequence[dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows)) if rows else pd.DataFrame(
        columns=["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"])


def _long(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    out = df.melt(id_vars=["epoch"], value_vars=[f"train_{metric}", f"val_{metric}"], var_name="split",
                  value_name=metric)
    out["split"] = out["split"].str.replace(f"_{metric}", "", regex=False)
    return out


def _markers(best_epoch: int, *, restored: bool, stopped_at: int | None) -> list[alt.Chart]:
    marks = []
    if restored and best_epoch:
        marks.append(alt.Chart(pd.DataFrame({"epoch": [best_epoch], "label": [f"restored best (epoch {best_epoch})"]}))
                     .mark_rule(color="green", strokeDash=[6, 3]).encode(x="epoch:Q", tooltip="label:N"))
        marks.append(alt.Chart(pd.DataFrame({"epoch": [best_epoch], "label": ["restored best"]}))
                     .mark_text(color="green", align="left", dx=4, dy=-60).encode(x="epoch:Q", text="label:N"))
    if stopped_at:
        marks.append(alt.Chart(pd.DataFrame({"epoch": [stopped_at], "label": [f"early stop (epoch {stopped_at})"]}))
                     .mark_rule(color="red", strokeDash=[2, 2]).encode(x="epoch:Q", tooltip="label:N"))
        marks.append(alt.Chart(pd.DataFrame({"epoch": [stopped_at], "label": ["early stop"]}))
                     .mark_text(color="red", align="left", dx=4, dy=-40).encode(x="epoch:Q", text="label:N"))
    return marks


def accuracy_chart(rows: Sequence[dict[str, float]], *, best_epoch: int = 0, restored: bool = False,
                   stopped_at: int | None = None, epochs: int | None = None) -> alt.LayerChart:
    """Train and validation accuracy per epoch with the gap between them shaded."""
    df = _frame(rows)
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[1, max(2, epochs or 2)]), axis=_EPOCH_AXIS)
    gap = alt.Chart(df).mark_area(opacity=0.18, color="crimson").encode(
        x=x, y=alt.Y("train_accuracy:Q"), y2="val_accuracy:Q",
        tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("train_accuracy:Q", format=".1f"),
                 alt.Tooltip("val_accuracy:Q", format=".1f")])
    lines = alt.Chart(_long(df, "accuracy")).mark_line(point=True).encode(
        x=x, y=alt.Y("accuracy:Q", title="accuracy (%)", scale=alt.Scale(zero=False)),
        color=alt.Color("split:N", scale=alt.Scale(domain=["train", "val"], range=[TRAIN_COLOR, VAL_COLOR])))
    layers = [gap, lines, *_markers(best_epoch, restored=restored, stopped_at=stopped_at)]
    return alt.layer(*layers).properties(height=280, title="Accuracy (shaded: the generalisation gap)")


def loss_chart(rows: Sequence[dict[str, float]], *, best_epoch: int = 0, restored: bool = False,
               stopped_at: int | None = None, epochs: int | None = None) -> alt.LayerChart:
    df = _frame(rows)
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[1, max(2, epochs or 2)]), axis=_EPOCH_AXIS)
    lines = alt.Chart(_long(df, "loss")).mark_line(point=True).encode(
        x=x, y=alt.Y("loss:Q", title="cross-entropy"),
        color=alt.Color("split:N", scale=alt.Scale(domain=["train", "val"], range=[TRAIN_COLOR, VAL_COLOR])))
    return alt.layer(lines, *_markers(best_epoch, restored=restored, stopped_at=stopped_at)).properties(
        height=280, title="Loss")


def run_markers(run: LabRun) -> dict[str, Any]:
    return {"best_epoch": run.best_epoch, "restored": run.restored_best,
            "stopped_at": len(run.history) if run.stopped_early else None, "epochs": run.config.epochs}


def overlay_chart(items: Sequence[dict[str, Any]], *, metric: str = "accuracy") -> alt.Chart:
    """Several runs' curves on one chart: validation solid, training dashed, one colour per run."""
    frames = []
    for item in items:
        df = _long(_frame(item["run"].history), metric)
        df["run"] = item["label"]
        frames.append(df)
    data = pd.concat(frames, ignore_index=True) if frames else _long(_frame([]), metric).assign(run="")
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("epoch:Q", axis=_EPOCH_AXIS), y=alt.Y(f"{metric}:Q", scale=alt.Scale(zero=False)),
        color=alt.Color("run:N", scale=alt.Scale(scheme="category10"),
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=600)),
        strokeDash=alt.StrokeDash("split:N", scale=alt.Scale(domain=["val", "train"], range=[[1, 0], [5, 4]])),
        tooltip=["run:N", "split:N", "epoch:Q", alt.Tooltip(f"{metric}:Q", format=".3f")],
    ).properties(height=320, title=f"{metric.capitalize()}: validation solid, training dashed")


def tour_chart(rows: Sequence[dict[str, Any]]) -> alt.HConcatChart:
    """Each tour step's gap, in accuracy points (left) and in loss (right): horizontal bars, so
    that the step names stay readable; lower is better."""
    df = pd.DataFrame(list(rows))
    order = list(df["step"]) if len(df) else []

    def panel(field: str, title: str, fmt: str, colour: str, *, labels: bool) -> alt.LayerChart:
        bars = alt.Chart(df).mark_bar(color=colour, opacity=0.75).encode(
            y=alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labels=labels, ticks=labels,
                                                                     labelLimit=220)),
            x=alt.X(f"{field}:Q", title=title),
            tooltip=["step", "cure", "train_acc", "val_acc", "gap", "train_loss", "val_loss", "loss_gap"])
        text = bars.mark_text(align="left", dx=3, color="black").encode(
            text=alt.Text(f"{field}:Q", format=fmt))
        return alt.layer(bars, text).properties(width=260, height=28 * max(1, len(df)))

    return alt.hconcat(
        panel("gap", "accuracy gap: train - val (points)", ".1f", "crimson", labels=True),
        panel("loss_gap", "loss gap: val loss - train loss", ".2f", "darkorange", labels=False),
        spacing=24,
    ).properties(title="Generalisation gap per cure (lower is better)")


def run_zip(run: LabRun) -> bytes:
    """model.pt (state dict), config.json and history.csv of ``run`` in one ZIP."""
    weights = io.BytesIO()
    torch.save(run.state_dict, weights)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.pt", weights.getvalue())
        zf.writestr("config.json", run.config.to_json())
        zf.writestr("history.csv", pd.DataFrame(run.rows()).to_csv(index=False))
    return buf.getvalue()
