"""DICOM decode + window + chest X-ray inference for a ~2k x 2k radiograph on CPU.

    python benchmarks/bench_xray.py --runs 10 --threads 1

The radiograph is pydicom-data's RG1 (CR chest, 1955 x 1841, MONOCHROME1, 15 bits stored) in
three encodings: uncompressed (RG1_UNCI), JPEG 2000 lossless (RG1_J2KR) and JPEG 2000 lossy
(RG1_J2KI). Stages, each the median of ``--runs`` runs after one warm-up, timed interleaved:

* decode: bytes -> ``read_dicom`` (parse, decode pixels, modality LUT, metadata table);
* window: ``render`` with the file's window (VOI + MONOCHROME1 inversion + 8 bits);
* prepare: centre crop + bicubic resize to 28 x 28 (``prepare_radiograph``);
* infer: the bundled CNN's forward + calibration + OOD distance (``run_model``);
* end to end: bytes -> XrayFindings through ``read_dicom`` + ``prepare_radiograph`` + ``run_model``.

Two tables: wall time (what a user waits) and CPU time of this process (``time.process_time``),
which stays meaningful when other jobs share the cores (on a loaded machine the wall medians grow
with the load, the CPU times do not).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import torch
from timing import interleaved_medians

from cnnapps.medical.dicom import read_dicom, render
from cnnapps.medical.xray import run_model
from cnnapps.medical.xray_input import prepare_radiograph
from cnnapps.models.xray_cnn import XrayCNN

ROOT = Path(__file__).resolve().parents[1]

WEIGHTS = ROOT / "cnnapps/weights/xray_pneumonia_cnn.pt"


def main(argv: list[str] | None = None) -> int:
    from pydicom.data import get_testdata_file

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    model = XrayCNN()
    model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    model.eval()
    cpu = torch.device("cpu")
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.runs} runs\n")
    header = ("| file | transfer syntax | MB | decode ms | window ms | prepare ms | infer ms | end to end ms |\n"
              "|---|---|---|---|---|---|---|---|")
    wall_rows, cpu_rows = [], []
    for name in ("RG1_UNCI.dcm", "RG1_J2KR.dcm", "RG1_J2KI.dcm"):
        path = get_testdata_file(name)
        if path is None:
            print(f"| {name} | not installed (pip install pydicom-data) | | | | | | |")
            continue
        data = Path(path).read_bytes()
        im = read_dicom(data, name=name)
        prepared = prepare_radiograph(im)

        def end_to_end(data=data, name=name):
            return run_model(model, prepare_radiograph(read_dicom(data, name=name)), device=cpu)

        fns = (lambda data=data, name=name: read_dicom(data, name=name),
               lambda im=im: render(im),
               lambda im=im: prepare_radiograph(im),
               lambda prepared=prepared: run_model(model, prepared, device=cpu),
               end_to_end)
        times = interleaved_medians(*fns, runs=args.runs, warmup=1)
        cpu_times = []
        for fn in fns:
            spent = []
            for _ in range(args.runs):
                start = time.process_time()
                fn()
                spent.append(time.process_time() - start)
            cpu_times.append(statistics.median(spent))
        lead = f"| {name} | {im.transfer_syntax} | {len(data) / 1e6:.1f} | "
        wall_rows.append(lead + " | ".join(f"{1000 * t:.1f}" for t in times) + " |")
        cpu_rows.append(lead + " | ".join(f"{1000 * t:.1f}" for t in cpu_times) + " |")
    print("Wall time:\n" + header)
    print("\n".join(wall_rows))
    print("\nCPU time of this process:\n" + header)
    print("\n".join(cpu_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
