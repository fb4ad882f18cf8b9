"""Test-set metrics of the chest X-ray CNN, its calibration, and its out-of-distribution check.

    python scripts/eval_xray.py --data ../shared/data/pneumoniamnist/pneumoniamnist.npz

1. Every seed that ``scripts/train_xray.py`` logged (checkpoints under runs/xray/): ACC, AUC,
   sensitivity, specificity and ECE on the 624 official test images, at the seed's own threshold
   picked on val; then mean and standard deviation (population) over the seeds.
2. The shipped model (cnnapps/weights/xray_pneumonia_cnn.pt): the same metrics, the confusion
   matrix, ECE before/after Platt scaling, and a reliability diagram written to
   docs/img/xray_calibration.png.
3. The out-of-distribution warning: how often it fires on the test radiographs (false alarms), on
   real adult chest radiographs from pydicom-data, and on non-radiographs (CT, MR, ultrasound
   slices given as plain pixels, and the bundled colour photos).
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import torch

from cnnapps.medical.metrics import binary_metrics, expected_calibration_error, reliability_bins
from cnnapps.medical.xray_train import calibrate, load_npz, predict, to_tensor
from cnnapps.models.xray_cnn import XrayCNN

ROOT = Path(__file__).resolve().parents[1]

SHIPPED = ROOT / "cnnapps/weights/xray_pneumonia_cnn.pt"


def load_model(path: Path) -> XrayCNN:
    model = XrayCNN()
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=not any(k.startswith("ood_") for k in model.state_dict()
                                                if k not in state))
    return model.eval()


def test_probs(model: XrayCNN, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(calibrated P(pneumonia), uncalibrated softmax P(pneumonia)) on ``x``."""
    logits = predict(model, x)
    return model.probability(logits).numpy(), torch.softmax(logits, 1)[:, 1].numpy()


def fmt(m) -> str:
    return (f"ACC {m.accuracy:.4f}  AUC {m.auc:.4f}  sens {m.sensitivity:.4f}  spec {m.specificity:.4f}"
            f"  ECE {m.ece:.4f}  (threshold {m.threshold:.3f})")


def seeds_table(log: Path, x: torch.Tensor, y: np.ndarray, x_val: torch.Tensor, y_val: np.ndarray) -> None:
    runs = {}
    for line in log.read_text().splitlines() if log.is_file() else []:
        if line.strip():
            r = json.loads(line)
            runs[r["seed"]] = r  # the latest run of each seed
    rows = []
    for seed, r in sorted(runs.items()):
        ck = ROOT / r["checkpoint"]
        if not ck.is_file():
            print(f"seed {seed}: checkpoint {r['checkpoint']} absent, skipped")
            continue
        model = load_model(ck)
        calibrate(model, x_val, y_val)  # Platt + threshold on val with the current code (as bundle_xray.py)
        prob, _ = test_probs(model, x)
        m = binary_metrics(y, prob, threshold=float(model.threshold))
        rows.append(m)
        print(f"seed {seed} (best epoch {r['best_epoch']}, val AUC {r['val_auc']:.4f}): {fmt(m)}")
    if rows:
        print(f"mean ± std over {len(rows)} seeds:")
        for key in ("accuracy", "auc", "sensitivity", "specificity", "ece"):
            v = np.array([getattr(m, key) for m in rows])
            print(f"  {key:12s} {v.mean():.4f} ± {v.std():.4f}  (min {v.min():.4f}, max {v.max():.4f})")


def calibration_plot(y: np.ndarray, prob: np.ndarray, raw: np.ndarray, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.2), dpi=110)
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
    for p, label, colour in ((raw, "softmax (class-weighted training)", "tab:orange"),
                             (prob, "Platt-scaled on val (shipped)", "tab:blue")):
        mean_p, rate, count = reliability_bins(y, p)
        keep = count > 0
        ece = expected_calibration_error(y, p)
        ax.plot(mean_p[keep], rate[keep], marker="o", color=colour, label=f"{label}, ECE {ece:.3f}")
    ax.set_xlabel("predicted P(pneumonia)")
    ax.set_ylabel("observed fraction with pneumonia")
    ax.set_title("PneumoniaMNIST test (624 images)", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"calibration plot: {out}")


def ood_report(model: XrayCNN, x_test: torch.Tensor) -> None:
    from PIL import Image
    from pydicom.data import get_testdata_file

    from cnnapps.medical.dicom import read_dicom, render
    from cnnapps.medical.xray_input import prepare_radiograph

    def score(prepared) -> float:
        x = torch.from_numpy(prepared.model_input)[None, None]
        with torch.inference_mode():
            return float(model.ood_score(model.embed(x))[0])

    t = float(model.ood_threshold)
    with torch.inference_mode():
        test_scores = model.ood_score(model.embed(x_test)).numpy()
    print(f"OOD threshold {t:.2f}; test radiographs flagged: {(test_scores > t).sum()}/{len(test_scores)}")
    warnings.simplefilter("ignore")
    groups = {
        "real chest CR (pydicom-data)": ["RG1_UNCI.dcm", "RG1_J2KR.dcm", "RG1_J2KI.dcm"],
        "not chest radiographs: CR extremity, CT/MR/US slices (pixels only)": ["RG3_UNCI.dcm", "CT_small.dcm", "693_UNCI.dcm", "MR_small.dcm", "MR2_UNCI.dcm",
                                          "emri_small.dcm", "MR-SIEMENS-DICOM-WithOverlays.dcm",
                                          "US1_UNCI.dcm", "examples_palette.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm",
                                          "examples_overlay.dcm"],
    }
    for group, names in groups.items():
        lines, flagged_feat, flagged_any = [], 0, 0
        for n in names:
            path = get_testdata_file(n)
            if path is None:
                lines.append(f"    {n}: not installed")
                continue
            im = read_dicom(path)
            shown = render(im)
            pil = Image.fromarray(shown)
            s_pix = score(prepare_radiograph(pil))  # as if uploaded as a PNG: no metadata
            meta = prepare_radiograph(im).warnings
            flagged_feat += s_pix > t
            flagged_any += (s_pix > t) or bool(meta)
            lines.append(f"    {n:38s} {im.modality:3s} score {s_pix:7.2f} {'FLAG' if s_pix > t else 'ok  '}"
                         f" metadata: {'; '.join(meta) or '-'}")
        print(f"  {group}: flagged by features {flagged_feat}/{len(names)}, by features or metadata {flagged_any}/{len(names)}")
        print("\n".join(lines))
    photos = sorted((ROOT / "cnnapps/assets").glob("*.jpg"))
    flagged_feat = flagged_any = 0
    lines = []
    for p in photos:
        prepared = prepare_radiograph(Image.open(p))
        s = score(prepared)
        flagged_feat += s > t
        flagged_any += (s > t) or bool(prepared.warnings)
        lines.append(f"    {p.name:38s} score {s:7.2f} {'FLAG' if s > t else 'ok  '} checks: {'; '.join(prepared.warnings) or '-'}")
    print(f"  photos (cnnapps/assets): flagged by features {flagged_feat}/{len(photos)}, by features or colour {flagged_any}/{len(photos)}")
    print("\n".join(lines))
    # the same photos in grayscale: only the feature distance can catch them
    flagged = sum(score(prepare_radiograph(Image.open(p).convert("L"))) > t for p in photos)
    print(f"  the same photos converted to grayscale: flagged by features {flagged}/{len(photos)}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/pneumoniamnist/pneumoniamnist.npz")
    p.add_argument("--log", type=Path, default=ROOT / "scripts/xray_runs.jsonl")
    p.add_argument("--model", type=Path, default=SHIPPED)
    p.add_argument("--plot", type=Path, default=ROOT / "docs/img/xray_calibration.png")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    data = load_npz(args.data)
    x, y = to_tensor(data["test"][0]), data["test"][1]
    print(f"PneumoniaMNIST test: {len(y)} images ({(y == 0).sum()} normal, {(y == 1).sum()} pneumonia)\n")
    seeds_table(args.log, x, y, to_tensor(data["val"][0]), data["val"][1])
    if args.model.is_file():
        model = load_model(args.model)
        prob, raw = test_probs(model, x)
        m = binary_metrics(y, prob, threshold=float(model.threshold))
        (tn, fp), (fn, tp) = m.confusion
        print(f"\nshipped model {args.model.name}: {fmt(m)}")
        print("confusion matrix (rows: true, columns: predicted)")
        print(f"               normal  pneumonia\n  normal     {tn:8d} {fp:10d}\n  pneumonia  {fn:8d} {tp:10d}")
        print(f"ECE: softmax {expected_calibration_error(y, raw):.4f} -> Platt-scaled {m.ece:.4f}")
        calibration_plot(y, prob, raw, args.plot)
        print()
        ood_report(model, x)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
