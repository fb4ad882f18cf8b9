"""Calibrate a face-embedding model's verification threshold on labelled pairs; report the ROC.

    python scripts/calibrate_faces.py [--model mobilefacenet] [--shared ../shared] [--out FILE.json]

Three sets of labelled faces (identities from ../shared/images/README.md and cnnapps/faces/samples.py):

A. the 22 aligned reference crops of 6 people (../shared/weights/mobilefacenet/aligned_112): the
   network alone, on exactly the reference pixels;
B. the same 22 faces found in the original photos by our whole pipeline (MTCNN -> alignment ->
   embedding; each reference face matched to our detection by box overlap): what the app does;
C. the 11 faces of 4 people in the nine bundled photos (cnnapps/assets/faces, re-encoded copies
   of some of the same photos: not independent of A/B, but what a fresh clone can check).

Pairs: every pair of faces; same-person pairs from the same photo shoot (near-duplicates listed in
../shared/images/README.md) are left out, as the README asks. The threshold is chosen on set B: the
middle of the gap between the highest different-person and the lowest same-person similarity when
the two do not overlap, else the cut with the best accuracy (ties: the middle of the widest run).
Reported per set: pairs, ROC AUC, the accuracy at the chosen threshold, TPR at FPR = 0, equal error
rate. Without ../shared only set C runs. No LFW pairs are available on this machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import cnnapps
from cnnapps.faces.api import embed_faces
from cnnapps.faces.embed import embed_crops
from cnnapps.faces.samples import FACE_SAMPLES, IDENTITIES, face_sample_path

REPO = Path(__file__).resolve().parents[1]
# Same photo or photo shoot (../shared/images/README.md): not independent same-person pairs.
NEAR_DUPLICATES = {
    frozenset({"obama.jpg", "obama_small.jpg"}),
    frozenset({"biden.jpg", "two_people.jpg"}),
    frozenset({"obama3.jpg", "two_people.jpg"}),
}


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def pairs(emb: np.ndarray, people: list[str], photos: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, same-person labels) over every pair, near-duplicates left out."""
    sims, same = [], []
    for i, j in itertools.combinations(range(len(people)), 2):
        if people[i] == people[j] and frozenset({photos[i], photos[j]}) in NEAR_DUPLICATES:
            continue
        sims.append(float(emb[i] @ emb[j]))
        same.append(people[i] == people[j])
    return np.array(sims), np.array(same)


def choose_threshold(sims: np.ndarray, same: np.ndarray) -> float:
    lo, hi = sims[~same].max(), sims[same].min()
    if hi > lo:
        return float((lo + hi) / 2)
    cuts = np.unique(sims)
    mids = (cuts[:-1] + cuts[1:]) / 2
    acc = np.array([((sims >= t) == same).mean() for t in mids])
    best = np.flatnonzero(acc == acc.max())
    return float(mids[best[len(best) // 2]])


def report(name: str, sims: np.ndarray, same: np.ndarray, threshold: float) -> dict:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, thr = roc_curve(same, sims)
    eer_i = int(np.argmin(np.abs(fpr - (1 - tpr))))
    row = {
        "set": name, "same_pairs": int(same.sum()), "different_pairs": int((~same).sum()),
        "same_min": round(float(sims[same].min()), 4), "same_mean": round(float(sims[same].mean()), 4),
        "different_max": round(float(sims[~same].max()), 4),
        "different_mean": round(float(sims[~same].mean()), 4),
        "auc": round(float(roc_auc_score(same, sims)), 4),
        "accuracy_at_threshold": round(float(((sims >= threshold) == same).mean()), 4),
        "tpr_at_fpr0": round(float(tpr[fpr == 0].max()), 4),
        "eer": round(float((fpr[eer_i] + 1 - tpr[eer_i]) / 2), 4),
        "roc": [[round(float(f), 4), round(float(t), 4), round(float(h), 4) if np.isfinite(h) else None]
                for f, t, h in zip(fpr, tpr, thr, strict=True)],
    }
    print(f"{name:<34} pairs {row['same_pairs']:>3} same / {row['different_pairs']:>3} different | "
          f"same min {row['same_min']:.3f} | different max {row['different_max']:.3f} | "
          f"AUC {row['auc']:.4f} | accuracy at {threshold:.3f}: {100 * row['accuracy_at_threshold']:.1f} % | "
          f"TPR@FPR=0 {row['tpr_at_fpr0']:.3f} | EER {row['eer']:.3f}")
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mobilefacenet")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--out", type=Path, default=None, help="write the full report (with ROC) as JSON")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        embedder = cnnapps.load(args.model, device="cpu")
    except cnnapps.CnnappsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    detector = cnnapps.load("mtcnn", device="cpu")
    sets: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    ref_file = args.shared / "weights" / "mobilefacenet" / "reference.json"
    if ref_file.is_file():
        ref = json.loads(ref_file.read_text())
        people = [f["identity"] for f in ref["faces"]]
        photos = [f["image"] for f in ref["faces"]]
        size = int(embedder.spec.options["input_size"])
        crops = np.stack([
            np.asarray(Image.open(ref_file.parent / f["aligned_crop"]).convert("RGB").resize(
                (size, size), Image.BILINEAR)) for f in ref["faces"]])
        emb_a = embed_crops(embedder.module, crops, embedder.spec.options)
        sets["A: reference crops (22 faces)"] = pairs(emb_a, people, photos)
        ref_emb = np.array([f["embedding"] for f in ref["faces"]], dtype=np.float64)
        ref_unit = ref_emb / np.linalg.norm(ref_emb, axis=1, keepdims=True)
        if args.model == "mobilefacenet":
            with torch.inference_mode():
                x = torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255
                mean = torch.tensor(embedder.spec.options["mean"]).view(1, 3, 1, 1)
                std = torch.tensor(embedder.spec.options["std"]).view(1, 3, 1, 1)
                raw = embedder.module((x - mean) / std).double().numpy()
            print(f"parity A (network on the reference crops): max |diff| {np.abs(raw - ref_emb).max():.2e}, "
                  f"min cosine {(emb_a * ref_unit).sum(1).min():.6f}")
        emb = []
        for face in ref["faces"]:
            result = embed_faces(embedder, args.shared / "images" / face["image"], detector=detector,
                                 min_probability=0.5)
            overlaps = [_iou(f.box, face["mtcnn_box_xyxy"]) for f in result.faces]
            best = int(np.argmax(overlaps)) if overlaps else -1
            if best < 0 or overlaps[best] < 0.5:
                print(f"pipeline missed {face['id']}", file=sys.stderr)
                return 1
            emb.append(result.embeddings[best])
        sets["B: our pipeline on the photos"] = pairs(np.stack(emb), people, photos)
        if args.model == "mobilefacenet":
            cos = (np.stack(emb) * ref_unit).sum(1)
            low = ", ".join(f"{f['image']} {c:.3f}" for f, c in zip(ref["faces"], cos, strict=True) if c < 0.999)
            print(f"parity B (whole pipeline, photos > 1600 px detected downscaled): min cosine "
                  f"{cos.min():.4f}; below 0.999: {low or 'none'}")
    else:
        print(f"{ref_file} not found: only the bundled photos (set C) are used", file=sys.stderr)

    emb, people, photos = [], [], []
    for sample in FACE_SAMPLES:
        result = embed_faces(embedder, face_sample_path(sample.name), detector=detector)
        who = IDENTITIES[sample.name]
        if len(result) != len(who):
            print(f"{sample.name}: {len(result)} faces found, {len(who)} expected", file=sys.stderr)
            return 1
        order = np.argsort([f.box[0] for f in result.faces])  # left to right, as IDENTITIES
        emb += [result.embeddings[i] for i in order]
        people += list(who)
        photos += [sample.name] * len(who)
    sets["C: bundled photos (11 faces)"] = pairs(np.stack(emb), people, photos)

    key = next((k for k in sets if k.startswith("B")), next(iter(sets)))
    threshold = choose_threshold(*sets[key])
    print(f"model {args.model}: threshold chosen on set {key[0]}: {threshold:.3f}")
    rows = [report(name, sims, same, threshold) for name, (sims, same) in sets.items()]
    if args.out:
        args.out.write_text(json.dumps({"model": args.model, "threshold": round(threshold, 4),
                                        "chosen_on": key, "sets": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
