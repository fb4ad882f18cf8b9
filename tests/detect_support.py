"""Load a detector for the detection tests (bundled Yolo-Fastest, CPU)."""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import torch


class _Loaded:
    """Stand-in for LoadedModel until Core v2 is merged: spec, module, device, __call__."""

    def __init__(self, variant: str) -> None:
        from cnnapps.coco import darknet_to_coco
        from cnnapps.models.darknet import fuse_batch_norms
        from cnnapps.models.yolo_fastest import build_yolo_fastest

        module = build_yolo_fastest(variant)
        module.load_state_dict(torch.load(f"cnnapps/weights/{variant}.pt", map_location="cpu", weights_only=True))
        self.module = fuse_batch_norms(module).eval().requires_grad_(False)
        self.spec = SimpleNamespace(
            name=variant,
            options=MappingProxyType({"family": "darknet", "input_size": 320, "coco_ids": darknet_to_coco()}),
        )
        self.device = torch.device("cpu")

    def __call__(self, x):
        with torch.inference_mode():
            return self.module(x)


def loaded_model(name: str):
    return _Loaded(name)
