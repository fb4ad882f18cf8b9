"""COCO object detectors: Yolo-Fastest 1.1 / 1.1-XL (our port, bundled, offline) and torchvision's.

torchvision's entries read their URL and categories from the weights enums (STYLE.md); their
``build`` passes ``weights=None, weights_backbone=None`` so building never downloads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from types import MappingProxyType

import torch
import torchvision.models.detection as tvd
from torchvision.models import WeightsEnum

from cnnapps.coco import coco_categories, darknet_to_coco
from cnnapps.models.darknet import fuse_batch_norms
from cnnapps.models.yolo_fastest import build_yolo_fastest
from cnnapps.registry import CamConfig, ModelMeta, ModelSpec, WeightsSource, register

__all__: list[str] = []

_YOLO_CITATION = (
    "dog-qiuqiu, Yolo-Fastest (github.com/dog-qiuqiu/Yolo-Fastest, 2021), on darknet "
    "(Redmon & Farhadi 2018, YOLOv3: An Incremental Improvement, arXiv:1804.02767)"
)

# Our measurement (scripts/check_yolo_parity.py style test: tests/test_darknet.py) on the 10
# reference photos of ../shared: worst box IoU and worst score difference vs OpenCV's darknet run.
_YOLO = {
    "yolo-fastest-1.1-xl": {
        "display": "Yolo-Fastest 1.1-XL (bundled, offline)",
        "sha256": "27cfc788f5558cf0366fa0fc236fe43546f8776d86089599160ead535a577a94",
        "size": 3_857_383,
        "map50": 34.33,
        "parity_iou": 0.998,
    },
    "yolo-fastest-1.1": {
        "display": "Yolo-Fastest 1.1 (bundled, offline, smallest)",
        "sha256": "67efd7af8e951d46ee2ac9aa8b6a0bf67531535d98f8ecfcb7c180130b45fd11",
        "size": 1_541_637,
        "map50": 24.40,
        "parity_iou": 0.998,
    },
}


def _load_yolo(variant: str, paths: Mapping[str, Path]) -> torch.nn.Module:
    model = build_yolo_fastest(variant)
    model.load_state_dict(torch.load(paths["model"], map_location="cpu", weights_only=True))
    # batch norm folded into the convolutions: same outputs to 2e-6, about a third faster on CPU
    return fuse_batch_norms(model).eval()


for _variant, _m in _YOLO.items():
    register(
        ModelSpec(
            name=_variant,
            task="detection",
            display_name=str(_m["display"]),
            build=partial(build_yolo_fastest, _variant),
            weights={"model": WeightsSource(filename=f"{_variant}.pt", sha256=str(_m["sha256"]),
                                            bundled=True, size_bytes=int(_m["size"]))},
            load=partial(_load_yolo, _variant),
            head="boxes",
            labels=tuple(coco_categories()[i] for i in darknet_to_coco()),
            # EigenCAM on the last depthwise 5x5 convolution before each head (10x10 and 20x20)
            cam=CamConfig(target_layers=("layers.118", "layers.127"), method="eigencam"),
            meta=ModelMeta(
                licence="YOLO LICENSE v2 (darknet: public domain)",
                citation=_YOLO_CITATION,
                description="A tiny one-stage YOLO detector (two heads, 10x10 and 20x20 grids, 3 anchors "
                "each) for 80 COCO classes at 320x320, ported from darknet by our own cfg/weights reader.",
                metrics=MappingProxyType({
                    "COCO val2017 mAP@0.5 (%, author's report at 320x320)": float(_m["map50"]),
                    "parity vs darknet reference: worst box IoU (%, 10 photos)": 100 * float(_m["parity_iou"]),
                }),
            ),
            options=MappingProxyType({
                "family": "darknet",
                "input_size": 320,
                "input_sizes": (256, 320, 416, 512),
                "coco_ids": darknet_to_coco(),
            }),
        )
    )


def _torchvision(
    name: str,
    display_name: str,
    builder: Callable[..., torch.nn.Module],
    weights: WeightsEnum,
    citation: str,
    cam_layers: tuple[str, ...] | None,
    description: str,
) -> ModelSpec:
    filename = weights.url.rsplit("/", 1)[-1]
    metrics = weights.meta.get("_metrics", {}).get("COCO-val2017", {})
    return ModelSpec(
        name=name,
        task="detection",
        display_name=display_name,
        build=partial(builder, weights=None, weights_backbone=None),
        weights={"model": WeightsSource(
            filename=filename,
            url=weights.url,
            sha256_prefix=filename.rsplit("-", 1)[-1].split(".")[0],
            size_bytes=int(weights.meta["_file_size"] * 1024 * 1024) if "_file_size" in weights.meta else None,
        )},
        head="boxes",
        labels=tuple(weights.meta["categories"]),
        cam=CamConfig(target_layers=cam_layers, method="eigencam") if cam_layers else None,
        meta=ModelMeta(
            licence="BSD-3-Clause (torchvision code); weights trained on COCO (CC BY 4.0 annotations)",
            citation=citation,
            description=description,
            metrics=MappingProxyType(
                {f"COCO val2017 {k} (torchvision)": float(v) for k, v in metrics.items()}
            ),
        ),
        options=MappingProxyType({"family": "torchvision"}),
    )


for _spec in (
    _torchvision(
        "fasterrcnn_resnet50_fpn_v2", "Faster R-CNN ResNet-50 FPN v2 (download, 167 MB)",
        tvd.fasterrcnn_resnet50_fpn_v2, tvd.FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1,
        "Ren et al. 2015, Faster R-CNN, arXiv:1506.01497; Li et al. 2021, arXiv:2111.11429",
        ("backbone.body.layer4",), "Two-stage detector: region proposals, then per-region classes.",
    ),
    _torchvision(
        "fasterrcnn_mobilenet_v3_large_320_fpn", "Faster R-CNN MobileNetV3-L 320 FPN (download, 74 MB)",
        tvd.fasterrcnn_mobilenet_v3_large_320_fpn, tvd.FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.COCO_V1,
        "Ren et al. 2015, arXiv:1506.01497; Howard et al. 2019, MobileNetV3, arXiv:1905.02244",
        None, "Faster R-CNN on a mobile backbone at 320 px: fast, less accurate.",
    ),
    _torchvision(
        "retinanet_resnet50_fpn_v2", "RetinaNet ResNet-50 FPN v2 (download, 146 MB)",
        tvd.retinanet_resnet50_fpn_v2, tvd.RetinaNet_ResNet50_FPN_V2_Weights.COCO_V1,
        "Lin et al. 2017, Focal Loss for Dense Object Detection, arXiv:1708.02002",
        ("backbone.body.layer4",), "One-stage detector with focal loss on an FPN.",
    ),
    _torchvision(
        "ssdlite320_mobilenet_v3_large", "SSDlite320 MobileNetV3-L (download, 13 MB)",
        tvd.ssdlite320_mobilenet_v3_large, tvd.SSDLite320_MobileNet_V3_Large_Weights.COCO_V1,
        "Liu et al. 2016, SSD, arXiv:1512.02325; Howard et al. 2019, arXiv:1905.02244",
        None, "One-stage single-shot detector for phones, 320x320.",
    ),
    _torchvision(
        "fcos_resnet50_fpn", "FCOS ResNet-50 FPN (download, 124 MB)",
        tvd.fcos_resnet50_fpn, tvd.FCOS_ResNet50_FPN_Weights.COCO_V1,
        "Tian et al. 2019, FCOS: Fully Convolutional One-Stage Object Detection, arXiv:1904.01355",
        ("backbone.body.layer4",), "Anchor-free one-stage detector: every location predicts a box.",
    ),
    _torchvision(
        "maskrcnn_resnet50_fpn_v2", "Mask R-CNN ResNet-50 FPN v2 (download, 177 MB, masks)",
        tvd.maskrcnn_resnet50_fpn_v2, tvd.MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1,
        "He et al. 2017, Mask R-CNN, arXiv:1703.06870; Li et al. 2021, arXiv:2111.11429",
        ("backbone.body.layer4",), "Faster R-CNN plus a per-object mask (instance segmentation).",
    ),
):
    register(_spec)
