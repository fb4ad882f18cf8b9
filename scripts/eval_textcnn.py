"""Accuracy table for Kim (2014)'s sentence CNN: our runs beside the paper, and the shipped files.

    python scripts/eval_textcnn.py --sst2-dir ../shared/data/sst2 --mr-dir ../shared/data/mr

1. Reads the run log that ``python -m cnnapps.text.train`` appends to (``scripts/textcnn_runs.jsonl``)
   and prints, per (dataset, variant), the mean ± standard deviation (population) over all its
   seeds / folds, next to Kim's Table 2.
2. Re-measures the bundled models from scratch: SST-2 on ``test.tsv`` (872 sentences) and MR on the
   fold it was not trained on (fold 0 of the seed-0 10-fold split), plus file size, sha256 and load
   time. Data folders that are absent are skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from cnnapps.loaded import load
from cnnapps.registry import get_spec
from cnnapps.tasks.sentiment import predict_batch
from cnnapps.text.data import kfold_indices, read_mr
from cnnapps.weights import BUNDLED_DIR, sha256_file

ROOT = Path(__file__).resolve().parents[1]

# Kim (2014), Table 2 (accuracy %, 300-d word2vec; MR by 10-fold CV, SST-2 test set).
PAPER = {
    ("mr", "rand"): 76.1, ("mr", "static"): 81.0, ("mr", "non-static"): 81.5, ("mr", "multichannel"): 81.1,
    ("sst2", "rand"): 82.7, ("sst2", "static"): 86.8, ("sst2", "non-static"): 87.2,
    ("sst2", "multichannel"): 88.1,
}
VARIANTS = ("rand", "static", "non-static", "multichannel")


def _merged(records: list[dict]) -> dict | None:
    """All runs of ``records`` (oldest first), one per (seed, fold): the latest wins."""
    if not records:
        return None
    runs: dict[tuple, dict] = {}
    for rec in records:
        for run in rec["runs"]:
            runs[(run["seed"], run["fold"])] = run
    merged = sorted(runs.values(), key=lambda r: (r["seed"], -1 if r["fold"] is None else r["fold"]))
    accs = [r["test_accuracy"] for r in merged]
    mean = sum(accs) / len(accs)
    std = (sum((a - mean) ** 2 for a in accs) / len(accs)) ** 0.5
    return {"runs": merged, "mean": mean, "std": std}


def run_table(log: Path) -> list[str]:
    """Rows per (dataset, variant); pretrained variants as shipped (GloVe rescaled, see
    ``cnnapps.text.train.KIM_INIT_STD``) plus the first, unscaled runs as an ablation."""
    records = []
    if log.is_file():
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = ["| dataset | variant | ours: mean ± std (%) | runs | epochs run (best) | s/run | Kim 2014 (%) |",
            "|---|---|---|---|---|---|---|"]
    for dataset in ("sst2", "mr"):
        name = "SST-2" if dataset == "sst2" else "MR"
        groups = [(v, v, lambda r, v=v: r["variant"] == v and (v == "rand" or r.get("glove_std") is not None))
                  for v in VARIANTS]
        groups.append(("non-static", "non-static, GloVe unscaled (ablation)",
                       lambda r: r["variant"] == "non-static" and "glove_std" in r and r["glove_std"] is None))
        for variant, label, keep in groups:
            rec = _merged([r for r in records if r["dataset"] == dataset and keep(r)])
            paper = PAPER[(dataset, variant)]
            if rec is None:
                rows.append(f"| {name} | {label} | not run | | | | {paper} |")
                continue
            runs = rec["runs"]
            seeds = sorted({r["seed"] for r in runs})
            folds = sorted({r["fold"] for r in runs if r["fold"] is not None})
            what = f"seed{'s' if len(seeds) > 1 else ''} {','.join(map(str, seeds))}"
            what += f"; folds {','.join(map(str, folds))} of 10" if folds else "; test.tsv (872)"
            epochs = ",".join(f"{r['epochs_run']}({r['best_epoch']})" for r in runs)
            secs = sum(r["seconds"] for r in runs) / len(runs)
            rows.append(f"| {name} | {label} | {rec['mean']:.1f} ± {rec['std']:.1f} | {what} | "
                        f"{epochs} | {secs:.0f} | {paper} |")
    return rows


def shipped(sst2_dir: Path | None, mr_dir: Path | None) -> list[str]:
    rows = ["| model | file | size (MB) | sha256 | load (s) | measured on | accuracy (%) |",
            "|---|---|---|---|---|---|---|"]
    torch.set_num_threads(1)
    for name, data_dir in (("textcnn_sst2", sst2_dir), ("textcnn_mr", mr_dir)):
        spec = get_spec(name)
        path = BUNDLED_DIR / spec.weights["model"].filename
        if not path.is_file():
            rows.append(f"| {name} | {path.name} | missing | | | | |")
            continue
        start = time.perf_counter()
        model = load(spec.name, device="cpu")
        load_s = time.perf_counter() - start
        where, acc = "data folder absent", float("nan")
        if data_dir is not None and data_dir.is_dir():
            if name == "textcnn_sst2":
                lines = [ln.split("\t") for ln in (data_dir / "test.tsv").read_text(encoding="utf-8").splitlines()[1:] if ln]
                texts, labels = [t for t, _ in lines], [int(y) for _, y in lines]
                where = f"SST-2 test.tsv ({len(texts)})"
            else:
                data = read_mr(data_dir)
                fold = kfold_indices(len(data), folds=10, seed=0)[0]
                # read_mr tokenises; predict_batch tokenises again, so give it the token text
                # (clean_str is idempotent on its own output).
                texts = [" ".join(data.tokens[i]) for i in fold]
                labels = [data.labels[i] for i in fold]
                where = f"MR fold 0 of 10, held out ({len(texts)})"
            results = predict_batch(model, texts)
            acc = 100.0 * sum(r.index == y for r, y in zip(results, labels, strict=True)) / len(labels)
        rows.append(f"| {name} | {path.name} | {path.stat().st_size / 1e6:.2f} | "
                    f"{sha256_file(path)[:16]}… | {load_s:.2f} | {where} | {acc:.1f} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--log", type=Path, default=ROOT / "scripts" / "textcnn_runs.jsonl")
    p.add_argument("--sst2-dir", type=Path, default=ROOT.parent / "shared" / "data" / "sst2")
    p.add_argument("--mr-dir", type=Path, default=ROOT.parent / "shared" / "data" / "mr")
    args = p.parse_args(argv)
    print("\n".join(run_table(args.log)))
    print()
    print("\n".join(shipped(args.sst2_dir, args.mr_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
