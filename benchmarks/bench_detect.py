"""Detection speed on CPU: our detect() vs the raw module call, and end-to-end video fps.

Run from the repo root: ``python benchmarks/bench_detect.py [--model NAME] [--runs 30] [--threads 2]``.
Prints markdown tables (pasted into benchmarks/RESULTS.md) and the machine it ran on.

(a) overhead: ``detect()`` on the bundled dog photo vs ``loaded(x)`` on the same, already-made
    320x320 tensor, interleaved; ratio ours / raw (target <= 1.10). ``detect()`` adds the resize
    to 320, decoding, thresholding, per-class NMS, the YOLO trace and result building.
(b) end to end: a 640x480, 25 fps, 100-frame H.264 clip made from the dog photo (panning) ->
    ``detect_video`` (decode, detect, draw, H.264 encode) -> frames per second of wall time
    (target >= 25 fps for Yolo-Fastest-1.1-XL on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch
from PIL import Image
from timing import interleaved_medians

import cnnapps
from cnnapps.models.yolo_fastest import preprocess
from cnnapps.samples import sample_path
from cnnapps.tasks.detect import detect, detect_video
from cnnapps.video import encode_mp4


def clip_640x480(n: int = 100) -> bytes:
    """The dog photo upscaled to 853x640 and panned across a 640x480 window, 25 fps."""
    big = np.asarray(Image.open(sample_path("dog")).convert("RGB").resize((853, 640), Image.Resampling.BILINEAR))
    frames = [big[80:560, (2 * i) % 213 : (2 * i) % 213 + 640] for i in range(n)]
    return encode_mp4(frames, fps=25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="yolo-fastest-1.1-xl")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    loaded = cnnapps.load(args.model, device="cpu")
    image = Image.open(sample_path("dog")).convert("RGB")
    x = preprocess(np.asarray(image), 320)

    raw_s, ours_s = interleaved_medians(lambda: loaded(x), lambda: detect(loaded, image), runs=args.runs)
    # detect()'s own time beyond its forward pass, from the same calls (less exposed to other load
    # on the machine than the ratio of two separately timed calls)
    extra = sorted(d.total_ms - d.elapsed_ms for d in (detect(loaded, image) for _ in range(args.runs)))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, "
          f"torch {torch.__version__}, threads {args.threads}, load avg {os.getloadavg()[0]:.1f}")
    print("\n| model | threads | raw module call (ms) | our detect() (ms) | ratio ours/raw "
          "| detect() beyond its forward: min / median (ms) |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.model} | {args.threads} | {1000 * raw_s:.1f} | {1000 * ours_s:.1f} | {ours_s / raw_s:.3f} "
          f"| {extra[0]:.1f} / {extra[len(extra) // 2]:.1f} |")

    clip = clip_640x480(args.frames)
    detect_video(loaded, clip, max_frames=5)  # warm-up
    start = time.perf_counter()
    result = detect_video(loaded, clip, max_frames=None)
    wall = time.perf_counter() - start
    print("\n| model | threads | frames | wall (s) | fps (decode+detect+draw+encode) |")
    print("|---|---|---|---|---|")
    print(f"| {args.model} | {args.threads} | {result.n_frames} | {wall:.2f} | {result.fps_achieved:.1f} |")


if __name__ == "__main__":
    main()
