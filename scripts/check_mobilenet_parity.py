"""Check the converted MobileNetV2 against the uint8 TFLite reference outputs in ``reference.json``.

    python scripts/check_mobilenet_parity.py [--shared ../shared] [--weights cnnapps/weights/...pt]

Feeds every reference photo through the exact reference preprocessing (PIL RGB, whole-image
``resize((224, 224), BILINEAR)``, uint8 -> (q - 128) / 128), confirms the input bytes match the
recorded sha256 (a mismatch is a warning: the comparison is then not like for like), and compares
top-1 and the probabilities of the reference top-5. Exits 1 if any top-1 differs or any of those
probabilities differs by more than ``--tol`` (0.05).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cnnapps.models.mobilenet_v2_tflite import mobilenet_v2_tflite

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEIGHTS = REPO_ROOT / "cnnapps" / "weights" / "mobilenet_v2_1.0_224_quant.pt"
LABELS = REPO_ROOT / "cnnapps" / "weights" / "imagenet_labels_1001.txt"
REFERENCE = Path("weights") / "mobilenet_v2_1.0_224_quant" / "reference.json"
SKIMAGE_KEYS = {"skimage.data.chelsea()": "chelsea", "skimage.data.coffee()": "coffee"}


@dataclass(frozen=True)
class Row:
    image: str
    ref_top1: str
    ref_prob: float
    our_top1: str
    our_prob: float
    same_top1: bool
    max_top5_diff: float
    max_float_port_diff: float | None  # vs the float32 port recorded in reference.json, same top-5 rule
    input_sha_ok: bool | None  # None: no sha256 recorded


def preprocess(img: Image.Image) -> tuple[torch.Tensor, str]:
    """The reference preprocessing: [1, 3, 224, 224] in [-1, 1], and the sha256 of the uint8 input."""
    # Pillow's BILINEAR antialiases when shrinking; a tensor resize would feed different pixels.
    q = np.asarray(img.convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.uint8)
    digest = hashlib.sha256(np.ascontiguousarray(q[None]).tobytes()).hexdigest()
    x = (torch.from_numpy(q.astype(np.float32)) - 128.0) / 128.0  # TFLite input scale 1/128, zp 128
    return x.permute(2, 0, 1).unsqueeze(0), digest


def load_images(shared: Path, keys: list[str]) -> tuple[dict[str, Image.Image], list[str]]:
    """Images present for the reference keys, and notes about the ones skipped."""
    images: dict[str, Image.Image] = {}
    notes: list[str] = []
    for key in keys:
        if key in SKIMAGE_KEYS:
            try:
                from skimage import data as skdata
            except ImportError:
                notes.append(f"{key}: skipped (scikit-image is not installed)")
                continue
            images[key] = Image.fromarray(getattr(skdata, SKIMAGE_KEYS[key])())
        elif (shared / "images" / key).is_file():
            with Image.open(shared / "images" / key) as img:
                img.load()
                images[key] = img.copy()
        else:
            notes.append(f"{key}: skipped (not in {shared / 'images'})")
    return images, notes


def check(shared: Path, weights: Path) -> tuple[list[Row], list[str]]:
    ref_json = json.loads((shared / REFERENCE).read_text(encoding="utf-8"))
    reference = ref_json["results"]
    float_port = ref_json.get("float_port_check", {}).get("results", {})
    labels = LABELS.read_text(encoding="utf-8").splitlines()
    model = mobilenet_v2_tflite()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model.eval()
    images, notes = load_images(shared, list(reference))
    rows: list[Row] = []
    for key, img in images.items():
        ref = reference[key]
        x, digest = preprocess(img)
        with torch.no_grad():
            probs = torch.softmax(model(x), dim=1)[0]
        top1 = int(probs.argmax())
        ref_top5 = ref["top5"]
        recorded = ref.get("input_uint8_sha256")
        rows.append(
            Row(
                image=key,
                ref_top1=labels[ref_top5[0]["index"]],
                ref_prob=float(ref_top5[0]["prob"]),
                our_top1=labels[top1],
                our_prob=float(probs[top1]),
                same_top1=top1 == ref_top5[0]["index"],
                max_top5_diff=max(abs(float(probs[e["index"]]) - float(e["prob"])) for e in ref_top5),
                max_float_port_diff=(
                    max(abs(float(probs[e["index"]]) - float(e["prob"])) for e in float_port[key])
                    if key in float_port
                    else None
                ),
                input_sha_ok=None if recorded is None else recorded == digest,
            )
        )
    return rows, notes


def _short(label: str) -> str:
    return label.split(",")[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO_ROOT.parent / "shared",
        help="the shared data folder (default: ../shared next to the repository)",
    )
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--tol", type=float, default=0.05, help="largest allowed top-5 probability diff")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    if not (args.shared / REFERENCE).is_file():
        print(f"no reference outputs at {args.shared / REFERENCE}", file=sys.stderr)
        return 2
    rows, notes = check(args.shared, args.weights)
    header = (
        f"{'image':<24} {'reference top-1':<20} {'prob':>6}  {'ours top-1':<20} {'prob':>6}  same  "
        f"top5 diff  vs float port  input sha"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        fp = "n/a" if r.max_float_port_diff is None else f"{r.max_float_port_diff:.1e}"
        sha = "n/a" if r.input_sha_ok is None else ("ok" if r.input_sha_ok else "DIFFERS")
        ref = f"{_short(r.ref_top1)[:20]:<20} {r.ref_prob:6.3f}"
        ours = f"{_short(r.our_top1)[:20]:<20} {r.our_prob:6.3f}"
        same = "yes" if r.same_top1 else "NO"
        print(f"{r.image:<24} {ref}  {ours}  {same:<4}  {r.max_top5_diff:9.3f}  {fp:>13}  {sha}")
    for note in notes:
        print(note)
    if not rows:
        print("parity: no images checked", file=sys.stderr)
        return 2
    n_same = sum(r.same_top1 for r in rows)
    worst = max(r.max_top5_diff for r in rows)
    fp_diffs = [r.max_float_port_diff for r in rows if r.max_float_port_diff is not None]
    fp_note = f" (vs the recorded float32 port: {max(fp_diffs):.1e})" if fp_diffs else ""
    print(f"parity: {n_same}/{len(rows)} same top-1, max top-5 prob diff {worst:.3f}{fp_note}")
    bad_sha = [r.image for r in rows if r.input_sha_ok is False]
    if bad_sha:
        # Not a model error, but then the comparison is not like for like (different Pillow resize?).
        print(
            f"warning: input bytes differ from the reference for {', '.join(bad_sha)}", file=sys.stderr
        )
    return 0 if n_same == len(rows) and worst <= args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
