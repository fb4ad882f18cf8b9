"""The overfitting tour: a baseline trained on few images, then the baseline plus each cure.

Every step uses the same data split, seed, model and epochs; only the cure differs, so the
change in the generalisation gap (train accuracy - validation accuracy, in percentage points,
both measured in eval mode on un-augmented images) is the cure's effect. The numbers quoted in
docs/lab.md come from ``python -m cnnapps tour`` (``scripts/run_tour.py`` writes them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from cnnapps.lab.config import LabConfig
from cnnapps.lab.trainer import LabRun

__all__ = ["TOUR_BASE", "TOUR_CURES", "TOUR_QUICK", "format_table", "tour_configs", "tour_rows"]

# Sizes chosen by measurement (docs/lab.md): 200 digits overfit LeNet-5 clearly within 30 epochs,
# and the seven runs take about a minute on one CPU thread.
TOUR_BASE = LabConfig(dataset="mnist", model="lenet5", train_size=200, val_size=1000, epochs=30,
                      optimizer="adam", lr=1e-3, batch_size=32, seed=0)

# A quicker tour (about a quarter of the work) for busy machines; tests/test_lab.py checks that
# the lesson shows at this scale too.
TOUR_QUICK = dataclasses.replace(TOUR_BASE, train_size=150, val_size=500, epochs=15)

# (step name, what changes relative to the baseline)
TOUR_CURES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("baseline", {}),
    ("augmentation", {"augment": ("shift", "rotate", "scale")}),
    ("dropout", {"dropout": 0.5}),
    ("batch norm", {"batch_norm": True}),
    ("weight decay", {"weight_decay": 5e-3}),
    ("L1 penalty", {"l1": 5e-4}),
    ("early stopping", {"early_stopping": 3}),
    ("augmentation + batch norm", {"augment": ("shift", "rotate", "scale"), "batch_norm": True}),
)


def tour_configs(base: LabConfig = TOUR_BASE, *, steps: Sequence[str] | None = None) -> list[tuple[str, LabConfig]]:
    """The tour's (name, config) pairs: ``base`` with no cure, then ``base`` plus each cure."""
    chosen = [(n, c) for n, c in TOUR_CURES if steps is None or n in steps]
    return [(name, dataclasses.replace(base, **change)) for name, change in chosen]


def tour_rows(names: Sequence[str], runs: Sequence[LabRun]) -> list[dict[str, Any]]:
    """One row per finished step: accuracies (%), gap (points) and its change against the baseline,
    and the same gap in loss (validation loss - training loss, both cross-entropy in eval mode).

    Both gaps, because they answer different questions: the accuracy gap counts digits the model
    gets right only in training; the loss gap also sees how over-confident it is. Weight decay
    and L1 mostly shrink the second (train loss up, validation loss down) at this scale.
    """
    rows: list[dict[str, Any]] = []
    with_baseline = bool(runs) and bool(names) and names[0] == "baseline"
    base_gap = runs[0].gap if with_baseline else None
    base_loss_gap = _loss_gap(runs[0]) if with_baseline else None
    for name, run in zip(names, runs, strict=False):
        gap, loss_gap = run.gap, _loss_gap(run)
        rows.append({
            "step": name,
            "cure": ", ".join(run.config.cures) or "none",
            "epochs": len(run.history),
            "train_acc": round(run.final.get("train_accuracy", float("nan")), 1),
            "val_acc": round(run.final.get("val_accuracy", float("nan")), 1),
            "gap": round(gap, 1) if gap is not None else None,
            "gap_change": (round(gap - base_gap, 1) if gap is not None and base_gap is not None
                           and name != "baseline" else None),
            "train_loss": round(run.final.get("train_loss", float("nan")), 3),
            "val_loss": round(run.final.get("val_loss", float("nan")), 3),
            "loss_gap": round(loss_gap, 3) if loss_gap is not None else None,
            "loss_gap_change": (round(loss_gap - base_loss_gap, 3) if loss_gap is not None
                                and base_loss_gap is not None and name != "baseline" else None),
            "seconds": round(run.seconds, 1),
        })
    return rows


def _loss_gap(run: LabRun) -> float | None:
    if "train_loss" not in run.final:
        return None
    return run.final["val_loss"] - run.final["train_loss"]


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of :func:`tour_rows` (the CLI prints it; docs/lab.md quotes it)."""
    cols = ["step", "cure", "epochs", "train_acc", "val_acc", "gap", "gap_change", "train_loss", "val_loss",
            "loss_gap", "loss_gap_change", "seconds"]
    head = ["step", "cure", "epochs", "train acc %", "val acc %", "gap (pts)", "gap vs baseline", "train loss",
            "val loss", "loss gap", "loss gap vs baseline", "s"]
    signed = {"gap_change": "{:+.1f}", "loss_gap_change": "{:+.3f}"}
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        cells = ["" if r[c] is None else (signed[c].format(r[c]) if c in signed else str(r[c])) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
