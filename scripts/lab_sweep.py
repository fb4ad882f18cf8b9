"""Sweep cure strengths on the tour's baseline: how the gap and validation numbers move.

``python scripts/lab_sweep.py --change '{"weight_decay": 0.02}' --change '{"l1": 0.002}' [--base '{...}']``
prints one Markdown row per change (the baseline first). docs/lab.md quotes its output.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import torch

from cnnapps.lab.data import load_dataset
from cnnapps.lab.tour import TOUR_BASE, format_table, tour_rows
from cnnapps.lab.trainer import train_lab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="{}", help="JSON changes to the tour's baseline config")
    parser.add_argument("--change", action="append", default=[], help="JSON changes for one run (repeatable)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    base = dataclasses.replace(TOUR_BASE, **json.loads(args.base))
    data = load_dataset(base.dataset, train_size=base.train_size, val_size=base.val_size, seed=base.seed)
    names, runs = ["baseline"], [train_lab(base, data=data)]
    for change in args.change:
        kw = json.loads(change)
        names.append(", ".join(f"{k}={v}" for k, v in kw.items()))
        runs.append(train_lab(dataclasses.replace(base, **kw), data=data))
    print(f"base: {base.to_dict()}\n")
    print(format_table(tour_rows(names, runs)))


if __name__ == "__main__":
    main()
