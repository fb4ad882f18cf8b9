"""``python -m cnnapps tour``: the overfitting tour, printed as a Markdown table.

A baseline trained on few images, then the baseline plus each cure (same data, seed, epochs).
``--format csv|json`` for machine-readable output; ``--out FILE`` to write it to a file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from cnnapps.cli.train import add_lab_args
    from cnnapps.lab.tour import TOUR_CURES

    p = sub.add_parser("tour", help="the overfitting tour: baseline vs each cure, as a table",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_lab_args(p, tour=True)
    p.add_argument("--steps", nargs="+", choices=[n for n, _ in TOUR_CURES], metavar="STEP",
                   help=f"subset of steps (default all): {', '.join(repr(n) for n, _ in TOUR_CURES)}")
    p.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown")
    p.add_argument("--out", type=Path, help="write the table here instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    import pandas as pd
    import torch

    from cnnapps.device import resolve_device
    from cnnapps.errors import CnnappsError
    from cnnapps.lab.config import LabConfig
    from cnnapps.lab.data import load_dataset
    from cnnapps.lab.tour import format_table, tour_configs, tour_rows
    from cnnapps.lab.trainer import train_lab

    torch.set_num_threads(max(1, args.threads))
    try:
        base = LabConfig(dataset=args.dataset, model=args.model, train_size=args.train_size, val_size=args.val_size,
                         epochs=args.epochs, optimizer=args.optimizer, lr=args.lr, batch_size=args.batch_size,
                         seed=args.seed)
        device = resolve_device(args.device)
        data = load_dataset(base.dataset, train_size=base.train_size, val_size=base.val_size, seed=base.seed,
                            path=args.data_path)
        steps = tour_configs(base, steps=args.steps)
        runs = []
        for name, config in steps:
            runs.append(train_lab(config, device=device, data=data))
            r = runs[-1]
            print(f"{name}: {len(r.history)} epochs, train {r.final['train_accuracy']:.1f} %, "
                  f"val {r.final['val_accuracy']:.1f} %, {r.seconds:.1f} s", file=sys.stderr, flush=True)
    except (CnnappsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    rows = tour_rows([n for n, _ in steps], runs)
    if args.format == "markdown":
        text = (f"{base.model} on {base.train_size} {base.dataset} images ({data.source}), val {base.val_size}, "
                f"{base.epochs} epochs, {base.optimizer} lr {base.lr:g}, batch {base.batch_size}, seed {base.seed}, "
                f"device {device}\n\n" + format_table(rows))
    elif args.format == "csv":
        text = pd.DataFrame(rows).to_csv(index=False)
    else:
        text = json.dumps(rows, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        print(text)
    return 0
