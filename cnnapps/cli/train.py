"""``python -m cnnapps train``: one training-lab run from the command line.

Example: ``python -m cnnapps train --dataset mnist --model lenet5 --train-size 500 --epochs 20
--dropout 0.5 --weight-decay 1e-4 --augment --early-stopping 3 --out run/`` writes
``run/history.csv``, ``run/model.pt`` (state dict), ``run/config.json`` and ``run/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_AUGMENT = ("shift", "rotate", "scale")


def add_lab_args(parser: argparse.ArgumentParser, *, tour: bool = False) -> None:
    """The options shared by ``train`` and ``tour`` (defaults from LabConfig / the tour's base)."""
    from cnnapps.lab.config import DATASETS, MODELS, OPTIMIZERS

    parser.add_argument("--dataset", choices=DATASETS, default="mnist")
    parser.add_argument("--data-path", type=Path, help="npz file for pneumoniamnist (or a bigger MNIST npz)")
    parser.add_argument("--model", choices=MODELS, default="lenet5")
    parser.add_argument("--train-size", type=int, default=200 if tour else 500)
    parser.add_argument("--val-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=30 if tour else 20)
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: $CNNAPPS_DEVICE, else the best there is)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for training (default 1)")


def register(sub: argparse._SubParsersAction) -> None:
    from cnnapps.lab.config import AUGMENTATIONS

    p = sub.add_parser("train", help="train a lab CNN with chosen cures; writes history CSV and model",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_lab_args(p)
    p.add_argument("--augment", nargs="*", choices=AUGMENTATIONS, metavar="KIND",
                   help=f"augmentation; bare --augment means {' '.join(DEFAULT_AUGMENT)}; kinds: {', '.join(AUGMENTATIONS)}")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--batch-norm", action="store_true")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--l1", type=float, default=0.0)
    p.add_argument("--early-stopping", type=int, metavar="PATIENCE")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(run=run)


def _progress_printer():
    from cnnapps.training.callbacks import Callback, FitState

    class EpochPrinter(Callback):
        def on_epoch_end(self, state: FitState) -> None:
            m = state.metrics
            print(f"epoch {state.epoch:3d}/{state.epochs}: train loss {m['train_loss']:.4f} acc "
                  f"{m['train_accuracy']:5.1f} %  val loss {m['val_loss']:.4f} acc {m['val_accuracy']:5.1f} %",
                  file=sys.stderr, flush=True)

    return EpochPrinter()


def run(args: argparse.Namespace) -> int:
    import csv

    import torch

    from cnnapps.device import resolve_device
    from cnnapps.errors import CnnappsError
    from cnnapps.lab.config import LabConfig
    from cnnapps.lab.trainer import train_lab
    from cnnapps.training.checkpoint import save_checkpoint

    torch.set_num_threads(max(1, args.threads))
    augment = () if args.augment is None else (tuple(args.augment) or DEFAULT_AUGMENT)
    try:
        config = LabConfig(dataset=args.dataset, model=args.model, train_size=args.train_size,
                           val_size=args.val_size, epochs=args.epochs, optimizer=args.optimizer, lr=args.lr,
                           batch_size=args.batch_size, seed=args.seed, augment=augment, dropout=args.dropout,
                           batch_norm=args.batch_norm, weight_decay=args.weight_decay, l1=args.l1,
                           early_stopping=args.early_stopping)
        device = resolve_device(args.device)
        result = train_lab(config, device=device, data_path=args.data_path, callbacks=[_progress_printer()])
    except (CnnappsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rows = result.rows()
    with (out / "history.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["epoch"])
        writer.writeheader()
        writer.writerows(rows)
    save_checkpoint(result.state_dict, out / "model.pt")
    (out / "config.json").write_text(config.to_json() + "\n")
    summary = result.summary() | {"device": result.device, "parameters": result.n_params, "data": result.data_source,
                                  "restored_best": result.restored_best}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0
