"""Convert Yolo-Fastest 1.1 / 1.1-XL darknet ``.weights`` to PyTorch state dicts.

    python scripts/convert_yolo_fastest.py --src ../shared/weights/yolo-fastest-1.1_coco \
        --out cnnapps/weights

Builds each network from its ``.cfg`` with our reader (:mod:`cnnapps.models.darknet`), fills it
from the ``.weights`` file (which must hold exactly as many floats as the cfg needs), checks that
the bundled copy of the cfg is byte-identical to the source, and writes ``<variant>.pt``
(float32 state dict) with its sha256 and size printed for NOTICE.md.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import torch

from cnnapps.models.darknet import Darknet, load_darknet_weights, parse_cfg
from cnnapps.models.yolo_fastest import VARIANTS, build_yolo_fastest


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def convert(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for variant, cfg_name in VARIANTS.items():
        cfg = src / cfg_name
        model = Darknet(parse_cfg(cfg.read_text())).eval()
        header = load_darknet_weights(model, src / f"{variant}.weights")
        bundled = build_yolo_fastest(variant)
        if sha256(cfg) != sha256(out / cfg_name):
            raise SystemExit(f"{out / cfg_name} differs from {cfg}: copy the source cfg first")
        bundled.load_state_dict(model.state_dict(), strict=True)  # same architecture, same keys
        target = out / f"{variant}.pt"
        torch.save(model.state_dict(), target)
        n = sum(p.numel() for p in model.state_dict().values())
        print(
            f"{variant}: header {header}; {n:,} values in the state dict; "
            f"{target} {target.stat().st_size:,} B sha256 {sha256(target)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=Path("../shared/weights/yolo-fastest-1.1_coco"))
    parser.add_argument("--out", type=Path, default=Path("cnnapps/weights"))
    args = parser.parse_args()
    convert(args.src, args.out)


if __name__ == "__main__":
    main()
