"""Face pipeline throughput on CPU: detect + align + embed, ours vs the raw library calls.

Run from the repo root: ``python benchmarks/bench_faces.py [--runs 5] [--threads 1]``.

Input: the nine bundled photos (11 faces, 374-800 px), already decoded to RGB arrays.
- raw: ``facenet_pytorch.MTCNN.detect(image, landmarks=True)``, then for every face
  ``cv2.estimateAffinePartial2D`` to the ArcFace template + ``cv2.warpAffine``, then one batched
  MobileFaceNet forward pass on the normalised crops, under ``torch.inference_mode``;
- ours: ``cnnapps.faces.api.embed_faces`` per photo (options, object-array conversion, result types,
  the LoadedModel's lock, L2 normalisation).
Prints faces/s for both and the ratio ours/raw (time), as a markdown table.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import interleaved_medians

import cnnapps
from cnnapps.faces.align import ARCFACE_TEMPLATE_112
from cnnapps.faces.api import embed_faces
from cnnapps.faces.samples import FACE_SAMPLES, face_sample_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    detector = cnnapps.load("mtcnn", device="cpu")
    embedder = cnnapps.load("mobilefacenet", device="cpu")
    images = [np.asarray(Image.open(face_sample_path(s.name)).convert("RGB")) for s in FACE_SAMPLES]
    pils = [Image.fromarray(im) for im in images]
    from facenet_pytorch import MTCNN

    mtcnn, net = MTCNN(keep_all=True, device="cpu"), embedder.module  # the library's own object
    mean = torch.tensor(embedder.spec.options["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(embedder.spec.options["std"]).view(1, 3, 1, 1)

    def raw() -> int:
        n = 0
        with torch.inference_mode():
            for pil, rgb in zip(pils, images, strict=True):
                boxes, probs, points = mtcnn.detect(pil, landmarks=True)
                if boxes is None:
                    continue
                points = np.asarray(points.tolist(), dtype=np.float32)
                keep = np.asarray(probs.tolist(), dtype=float) >= 0.9
                crops = []
                for pts in points[keep]:
                    m, _ = cv2.estimateAffinePartial2D(pts, ARCFACE_TEMPLATE_112.astype(np.float32),
                                                       method=cv2.LMEDS)
                    crops.append(cv2.warpAffine(rgb, m, (112, 112)))
                x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255
                net((x - mean) / std)
                n += len(crops)
        return n

    def ours() -> int:
        return sum(len(embed_faces(embedder, rgb, detector=detector)) for rgb in images)

    n_raw, n_ours = raw(), ours()
    assert n_raw == n_ours, (n_raw, n_ours)
    t_raw, t_ours = interleaved_medians(raw, ours, runs=args.runs, warmup=1)
    print(f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{args.threads} thread(s), {args.runs} runs (median)")
    print(f"{len(images)} photos, {n_ours} faces\n")
    print("| pipeline | s per pass | faces/s | photos/s |")
    print("|---|---|---|---|")
    print(f"| raw MTCNN.detect + cv2 warp + model(x) | {t_raw:.3f} | {n_raw / t_raw:.1f} | {len(images) / t_raw:.1f} |")
    print(f"| our embed_faces() | {t_ours:.3f} | {n_ours / t_ours:.1f} | {len(images) / t_ours:.1f} |")
    print(f"\nratio ours/raw (time) = **{t_ours / t_raw:.3f}**")


if __name__ == "__main__":
    main()
