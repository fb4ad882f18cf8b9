"""ImageNet-1k classifiers: our bundled MobileNetV2 port (offline) and torchvision's zoo.

torchvision's entries read URL, labels, preprocessing and metrics from its weights enums
(``weights.meta`` / ``weights.transforms()``), as STYLE.md asks; only the Grad-CAM target layer
is ours: the last convolutional feature map of each family.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import torch
import torchvision.models as tvm
from torchvision.models import WeightsEnum

from cnnapps.models.mobilenet_v2_tflite import CAM_TARGET_LAYER, mobilenet_v2_tflite
from cnnapps.registry import CamConfig, ModelMeta, ModelSpec, Preprocessing, WeightsSource, register

__all__: list[str] = []

# TFLite class i is torchvision's ImageNet class i - 1 (class 0 is "background"); using
# torchvision's cleaned names keeps labels identical across every model on the page.
# (The original TFLite label file is kept beside the weights for provenance.)
_IMAGENET = tuple(tvm.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])

# torch.hub's file-name convention: "name-<first hex digits of sha256>.ext" (torch.hub.HASH_REGEX).
_HASH_IN_NAME = re.compile(r"-([a-f0-9]{6,})\.")


# -- bundled: MobileNetV2 1.0/224, dequantised from Google's uint8 TFLite model ----------------
register(
    ModelSpec(
        task="classification",
        name="mobilenet_v2_tflite",
        display_name="MobileNetV2 1.0/224 (bundled, offline)",
        labels=("background", *_IMAGENET),
        build=mobilenet_v2_tflite,
        weights={"model": WeightsSource(
            filename="mobilenet_v2_1.0_224_quant.pt",
            sha256="91488ec95490f28a38de5c85e9fc44581a2fd15cae9f0224aa28cb837c3f02db",
            bundled=True,
            size_bytes=13_991_227,
        )},
        # The reference squashes the whole photo to 224x224 (no crop) and feeds (q - 128) / 128.
        preprocessing=Preprocessing(
            resize=(224, 224), crop=None, mean=(128 / 255,) * 3, std=(128 / 255,) * 3
        ),
        cam=CamConfig(target_layers=(CAM_TARGET_LAYER,)),
        meta=ModelMeta(
            licence="Apache-2.0 (google-coral/test_data)",
            citation="Sandler et al. 2018, MobileNetV2: Inverted Residuals and Linear Bottlenecks, "
            "arXiv:1801.04381",
            description="Google's quantisation-aware-trained MobileNetV2, dequantised to float by "
            "scripts/convert_mobilenet_v2_tflite.py. 1000 ImageNet classes + background.",
            metrics={"ImageNet top-1 (%, Google's report for the quant model)": 70.8},
        ),
    )
)


# -- torchvision: downloaded on first use ------------------------------------------------------
def _torchvision(
    name: str,
    display_name: str,
    builder: Callable[..., torch.nn.Module],
    weights: WeightsEnum,
    target_layer: str,
    citation: str,
) -> ModelSpec:
    transforms = weights.transforms()
    filename = weights.url.rsplit("/", 1)[-1]
    prefix = _HASH_IN_NAME.search(filename)
    return ModelSpec(
        task="classification",
        name=name,
        display_name=display_name,
        labels=tuple(weights.meta["categories"]),
        build=partial(builder, weights=None),
        weights={"model": WeightsSource(
            filename=filename,
            sha256_prefix=prefix.group(1) if prefix else None,
            url=weights.url,
            size_bytes=int(weights.meta["_file_size"] * 1024 * 1024),
        )},
        preprocessing=Preprocessing(
            resize=int(transforms.resize_size[0]),
            crop=(int(transforms.crop_size[0]),) * 2,
            mean=tuple(transforms.mean),
            std=tuple(transforms.std),
            interpolation=transforms.interpolation.value,
        ),
        cam=CamConfig(target_layers=(target_layer,)),
        meta=ModelMeta(
            licence="BSD-3-Clause (torchvision); ImageNet weights for non-commercial research use",
            citation=citation,
            description=f"torchvision {weights} ({weights.meta['num_params'] / 1e6:.1f} M parameters)",
            metrics={"ImageNet top-1 (%, torchvision)": weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]},
        ),
    )


for _spec in (
    # AlexNet's ReLUs are in place; hook the last ReLU (13x13), not the conv it overwrites.
    _torchvision("alexnet", "AlexNet", tvm.alexnet, tvm.AlexNet_Weights.DEFAULT, "features.11",
                 "Krizhevsky et al. 2012, ImageNet Classification with Deep CNNs, NeurIPS"),
    _torchvision("vgg16", "VGG-16", tvm.vgg16, tvm.VGG16_Weights.DEFAULT, "features.29",
                 "Simonyan & Zisserman 2015, Very Deep Convolutional Networks, arXiv:1409.1556"),
    _torchvision("resnet18", "ResNet-18", tvm.resnet18, tvm.ResNet18_Weights.DEFAULT, "layer4",
                 "He et al. 2016, Deep Residual Learning for Image Recognition, CVPR"),
    _torchvision("resnet50", "ResNet-50", tvm.resnet50, tvm.ResNet50_Weights.DEFAULT, "layer4",
                 "He et al. 2016, Deep Residual Learning for Image Recognition, CVPR"),
    _torchvision("mobilenet_v3_large", "MobileNetV3-Large", tvm.mobilenet_v3_large,
                 tvm.MobileNet_V3_Large_Weights.DEFAULT, "features.16",
                 "Howard et al. 2019, Searching for MobileNetV3, arXiv:1905.02244"),
    _torchvision("efficientnet_b0", "EfficientNet-B0", tvm.efficientnet_b0,
                 tvm.EfficientNet_B0_Weights.DEFAULT, "features.8",
                 "Tan & Le 2019, EfficientNet, arXiv:1905.11946"),
    _torchvision("convnext_tiny", "ConvNeXt-Tiny", tvm.convnext_tiny,
                 tvm.ConvNeXt_Tiny_Weights.DEFAULT, "features.7",
                 "Liu et al. 2022, A ConvNet for the 2020s, arXiv:2201.03545"),
):
    register(_spec)
