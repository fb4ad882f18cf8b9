"""Train the chest X-ray CNN on PneumoniaMNIST, one run per seed.

    nice -n 10 python scripts/train_xray.py --data ../shared/data/pneumoniamnist/pneumoniamnist.npz \
        --seeds 0 1 2 --out-dir runs/xray

Each seed writes ``<out-dir>/seed<N>.pt`` (the EMA checkpoint picked on val AUC, with its Platt
calibration and threshold fitted on val) and appends one JSON line to ``scripts/xray_runs.jsonl``.
The test split is not read here: ``scripts/eval_xray.py`` measures it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from cnnapps.medical.xray_train import TrainConfig, load_npz, train
from cnnapps.training import save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/pneumoniamnist/pneumoniamnist.npz")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    p.add_argument("--out-dir", type=Path, default=ROOT / "runs/xray")
    p.add_argument("--log", type=Path, default=ROOT / "scripts/xray_runs.jsonl")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)  # 2 cores shared by the team
    data = load_npz(args.data)
    for seed in args.seeds:
        cfg = TrainConfig(seed=seed, epochs=args.epochs)
        t0 = time.time()
        model, report = train(data, cfg)
        path = save_checkpoint({k: v.detach().cpu() for k, v in model.state_dict().items()},
                               args.out_dir / f"seed{seed}.pt")
        report.update(seed=seed, checkpoint=str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
                      wall_seconds=time.time() - t0, finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        with args.log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(report) + "\n")
        print(f"seed {seed}: best epoch {report['best_epoch']}, val AUC {report['val_auc']:.4f}, "
              f"threshold {report['threshold']:.3f}, val acc {report['val']['accuracy']:.4f}, "
              f"{report['wall_seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
