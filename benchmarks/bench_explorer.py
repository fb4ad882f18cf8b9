"""The explorer's comparison table: parameters, multiply-adds (torchinfo) and CPU latency per architecture.

    nice -n 10 python benchmarks/bench_explorer.py --runs 10 --threads 1

Latency: batch 1, random weights (the values do not change the time), median of ``--runs`` after
2 warm-up passes, one architecture after another, under torch.inference_mode(). Prints a Markdown
table (the one in benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from cnnapps.explorer.architectures import ARCHITECTURES, input_shape, summarise
from cnnapps.registry import get_spec


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.runs} runs, batch 1\n")
    print("| model | year | weight layers | parameters | mult-adds (M) | ImageNet top-1 (%) | CPU ms |")
    print("|---|---|---|---|---|---|---|")
    for name, arch in ARCHITECTURES.items():
        spec = get_spec(name)
        s = summarise(name)
        torch.manual_seed(0)
        net = spec.build().eval()
        x = torch.rand(1, *input_shape(name))
        times = []
        with torch.inference_mode():
            for _ in range(2):
                net(x)
            for _ in range(args.runs):
                start = time.perf_counter()
                net(x)
                times.append(1000 * (time.perf_counter() - start))
        top1 = next((f"{v:.1f}" for k, v in spec.meta.metrics.items() if "ImageNet top-1" in k), "n/a")
        print(f"| {arch.title} | {arch.year} | {s.weight_layers} | {s.total_params:,} | "
              f"{s.mult_adds / 1e6:,.1f} | {top1} | {statistics.median(times):.1f} |", flush=True)


if __name__ == "__main__":
    main()
