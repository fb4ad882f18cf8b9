"""Classification latency on CPU: our classify() vs the raw model call, and bytes -> result.

Run from the repo root: ``python benchmarks/bench_classify.py [--model NAME] [--runs 50]``.
Prints a markdown table (pasted into benchmarks/RESULTS.md) and the machine it ran on.

(a) overhead: classify() on a 224x224 photo vs ``model(x)`` on the same, already-made tensor,
    both under inference_mode; the ratio is ours / raw (target <= 1.10).
(b) end to end: the bytes of a ~1-megapixel JPEG -> load_image -> classify -> what the page
    renders (with and without the Grad-CAM overlay); target < 300 ms median for the bundled model.
"""

from __future__ import annotations

import argparse
import io
import platform
from collections.abc import Callable

import torch
from PIL import Image
from timing import interleaved_medians

from cnnapps.images import load_image
from cnnapps.loaded import load
from cnnapps.preprocess import heatmap_canvas, to_input
from cnnapps.registry import get_spec
from cnnapps.samples import sample_bytes
from cnnapps.tasks.classify import classify
from cnnapps.viz import overlay_heatmap


def median_ms(*fns: Callable[[], object], runs: int) -> list[float]:
    return [1000.0 * t for t in interleaved_medians(*fns, runs=runs)]


def megapixel_jpeg() -> bytes:
    photo = load_image(sample_bytes("cat")).resize((1224, 816), Image.Resampling.BICUBIC)  # 1.0 MP
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mobilenet_v2_tflite")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    spec = get_spec(args.model)
    assert spec.preprocessing is not None
    model = load(spec.name, device="cpu")
    small = load_image(sample_bytes("cat")).resize((224, 224), Image.Resampling.BILINEAR)
    x = to_input(small, spec.preprocessing)

    def raw() -> object:
        with torch.inference_mode():
            return model.module(x)

    raw_ms, ours_ms = median_ms(raw, lambda: classify(model, small, top_k=5), runs=args.runs)
    jpeg = megapixel_jpeg()

    def end_to_end(with_cam: bool) -> object:
        image = load_image(jpeg)
        result = classify(model, image, top_k=5, with_cam=with_cam)
        if result.heatmap is not None:
            return overlay_heatmap(heatmap_canvas(image, spec.preprocessing), result.heatmap)
        return result

    e2e_ms, e2e_cam_ms = median_ms(lambda: end_to_end(False), lambda: end_to_end(True), runs=args.runs)

    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch "
          f"threads, torch {torch.__version__}, Python {platform.python_version()}")
    print(f"model: {spec.name}; median of {args.runs} interleaved runs after 5 warm-up runs\n")
    print("| measurement | median ms | note |")
    print("|---|---|---|")
    print(f"| raw `model(x)`, 224x224 tensor | {raw_ms:.1f} | |")
    print(f"| our `classify()`, 224x224 photo | {ours_ms:.1f} | ratio ours/raw = **{ours_ms / raw_ms:.3f}** "
          "(target <= 1.10) |")
    print(f"| end to end, 1 MP JPEG bytes -> top-5 | {e2e_ms:.1f} | target < 300 ms |")
    print(f"| end to end, 1 MP JPEG bytes -> top-5 + Grad-CAM overlay | {e2e_cam_ms:.1f} | |")
    print(f"\n({len(jpeg) / 1e3:.0f} kB JPEG, 1224x816 px)")


if __name__ == "__main__":
    main()
