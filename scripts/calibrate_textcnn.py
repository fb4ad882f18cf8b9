"""Temperature scaling for the bundled sentence CNNs, fitted on data the models never trained on.

    python scripts/calibrate_textcnn.py --sst2-dir ../shared/data/sst2 --mr-dir ../shared/data/mr [--write]

Which data is honest (held out from training *and* from model selection as far as possible):

- SST-2: ``test.tsv`` (GLUE's dev set, 872 sentences). Not ``dev.tsv``: its 6,735 items are
  phrases cut from the same treebank sentences as ``train.tsv``, so the model has seen their
  words in those exact contexts, and early stopping chose the epoch on it.
- MR: fold 0 of the seed-0 10-fold split (1,067 sentences): the shipped model trained on folds
  1-9 only (``python -m cnnapps.text.train --dataset mr ... --out``).

Method (Guo et al. 2017, "On Calibration of Modern Neural Networks", ICML): one scalar T > 0
divides the logits; T minimises the negative log-likelihood on the held-out set (golden-section
search on log T). The argmax, hence accuracy, never changes. Expected calibration error (ECE:
15 equal-width confidence bins, weighted |accuracy - confidence|) is reported before and after.
So that the "after" number is not measured on the data T was fitted on, it is **cross-fitted**:
the held-out set is split in two halves (seeded), each half is scaled with the T fitted on the
other half, and ECE is computed over all sentences. The shipped T is then fitted on the whole
held-out set. ``--write`` stores ``temperature`` (and these numbers) in each checkpoint, which
:meth:`TextCNN.from_checkpoint` applies; the files' sha256 change (printed).

Outputs: a table on stdout, ``scripts/calibration_textcnn.json`` and the reliability diagram
``docs/img/reliability_textcnn.png``. Runs in under a minute on one CPU thread.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch

from cnnapps.models.text_cnn import TextCNN
from cnnapps.text.data import LabelledText, kfold_indices, read_mr, read_sst2_split
from cnnapps.text.vocab import pad_batch
from cnnapps.weights import BUNDLED_DIR, sha256_file

ROOT = Path(__file__).resolve().parents[1]

BINS = 15


def logits_of(model: TextCNN, data: LabelledText, *, batch: int = 500) -> np.ndarray:
    out = []
    with torch.inference_mode():
        for s in range(0, len(data), batch):
            ids = [model.vocab.encode(t, max_length=model.max_length) for t in data.tokens[s : s + batch]]
            out.append(model(pad_batch(ids, min_length=model.min_length)).double().numpy())
    return np.concatenate(out)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(z: np.ndarray, y: np.ndarray, t: float) -> float:
    p = softmax(z / t)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-300, None)).mean())


def fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    """argmin_T NLL(z / T), golden-section search on log T in [log 0.05, log 20] (NLL is convex in 1/T)."""
    lo, hi = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(z, y, math.exp(a)), nll(z, y, math.exp(b))
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(z, y, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(z, y, math.exp(b))
    return math.exp((lo + hi) / 2)


def reliability(p: np.ndarray, y: np.ndarray) -> tuple[float, list[dict]]:
    """ECE and per-bin (confidence, accuracy, count) over BINS equal-width confidence bins."""
    conf, pred = p.max(axis=1), p.argmax(axis=1)
    correct = (pred == y).astype(float)
    edges = np.linspace(0.0, 1.0, BINS + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, BINS - 1)
    ece, bins = 0.0, []
    for b in range(BINS):
        m = which == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
            bins.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "n": int(m.sum()),
                         "confidence": float(conf[m].mean()), "accuracy": float(correct[m].mean())})
    return float(ece), bins


def cross_fitted(z: np.ndarray, y: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, list[float]]:
    order = np.random.default_rng(seed).permutation(len(y))
    halves = [order[: len(y) // 2], order[len(y) // 2 :]]
    p = np.empty_like(z)
    temps = []
    for k in range(2):
        fit_on, apply_to = halves[1 - k], halves[k]
        t = fit_temperature(z[fit_on], y[fit_on])
        temps.append(t)
        p[apply_to] = softmax(z[apply_to] / t)
    return p, temps


def held_out(name: str, args: argparse.Namespace) -> tuple[LabelledText, str] | None:
    if name == "textcnn_sst2":
        path = args.sst2_dir / "test.tsv"
        return (read_sst2_split(path), "SST-2 test.tsv (GLUE dev, 872)") if path.exists() else None
    if not (args.mr_dir / "rt-polarity.pos").exists():
        return None
    data = read_mr(args.mr_dir)
    return data.subset(kfold_indices(len(data), folds=10, seed=0)[0]), "MR fold 0 of 10 (seed 0)"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5.2 * len(results), 4.6), squeeze=False)
    for ax, (name, r) in zip(axes[0], results.items(), strict=True):
        width = 1.0 / BINS
        for key, colour, label, shift in (("bins_before", "#d62728", "before", -0.22),
                                          ("bins_after", "#1f77b4", "after (cross-fitted T)", 0.22)):
            bins = r[key]
            ax.bar([b["lo"] + width / 2 + shift * width for b in bins], [b["accuracy"] for b in bins],
                   width=width * 0.42, color=colour, alpha=0.85,
                   label=f"{label}: ECE {100 * r['ece_' + key.split('_')[1]]:.1f} %")
        ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
        ax.set(xlim=(0.45, 1.0), ylim=(0.0, 1.0), xlabel="confidence (top-class probability)",
               ylabel="accuracy in the bin", title=f"{name}: T = {r['temperature']:.2f}\n{r['data']}")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sst2-dir", type=Path, default=ROOT.parent / "shared" / "data" / "sst2")
    p.add_argument("--mr-dir", type=Path, default=ROOT.parent / "shared" / "data" / "mr")
    p.add_argument("--write", action="store_true", help="store the temperature in the bundled checkpoints")
    p.add_argument("--json", type=Path, default=ROOT / "scripts" / "calibration_textcnn.json")
    p.add_argument("--png", type=Path, default=ROOT / "docs" / "img" / "reliability_textcnn.png")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    results = {}
    for name in ("textcnn_sst2", "textcnn_mr"):
        found = held_out(name, args)
        if found is None:
            print(f"{name}: held-out data not found, skipped")
            continue
        data, desc = found
        path = BUNDLED_DIR / f"{name}.pt"
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        model = TextCNN.from_checkpoint(ckpt, calibrated=False)  # the trained logits
        z, y = logits_of(model, data), np.asarray(data.labels)
        ece_before, bins_before = reliability(softmax(z), y)
        p_cross, half_temps = cross_fitted(z, y)
        ece_after, bins_after = reliability(p_cross, y)
        t = fit_temperature(z, y)
        r = {"data": desc, "n": len(y), "accuracy": float((z.argmax(1) == y).mean()),
             "temperature": t, "half_temperatures": half_temps,
             "nll_before": nll(z, y, 1.0), "nll_after": nll(z, y, t),
             "ece_before": ece_before, "ece_after": ece_after,
             "ece_after_in_sample": reliability(softmax(z / t), y)[0],
             "mean_confidence_before": float(softmax(z).max(1).mean()),
             "mean_confidence_after": float(p_cross.max(1).mean()),
             "bins_before": bins_before, "bins_after": bins_after}
        results[name] = r
        print(f"{name}: {desc}, n={len(y)}, accuracy {100 * r['accuracy']:.2f} %, T={t:.3f} "
              f"(halves {half_temps[0]:.3f}, {half_temps[1]:.3f}); ECE {100 * ece_before:.2f} % -> "
              f"{100 * ece_after:.2f} % (cross-fitted; in-sample {100 * r['ece_after_in_sample']:.2f} %); "
              f"NLL {r['nll_before']:.4f} -> {r['nll_after']:.4f}; mean confidence "
              f"{100 * r['mean_confidence_before']:.1f} % -> {100 * r['mean_confidence_after']:.1f} %")
        if args.write:
            ckpt["temperature"] = t
            ckpt["calibration"] = {"method": "temperature scaling (NLL)", "data": desc,
                                   "ece_before": ece_before, "ece_after_cross_fitted": ece_after,
                                   "script": "scripts/calibrate_textcnn.py"}
            torch.save(ckpt, path)
            r["sha256"], r["size_bytes"] = sha256_file(path), path.stat().st_size
            print(f"  wrote {path.name}: {r['size_bytes']:,} bytes, sha256 {r['sha256']}")
    if not results:
        return 1
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.png)
    print(f"wrote {args.json.relative_to(ROOT)} and {args.png.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
