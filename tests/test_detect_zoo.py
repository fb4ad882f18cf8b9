"""The detection registry, the torchvision path (random weights, no download) and EigenCAM."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import cnnapps
from cnnapps.errors import WeightsUnavailable
from cnnapps.loaded import LoadedModel
from cnnapps.registry import get_spec, list_models
from cnnapps.samples import sample_path
from cnnapps.tasks.detect import detect, detection_cam, infer, refine

TORCHVISION = ["fasterrcnn_resnet50_fpn_v2", "fasterrcnn_mobilenet_v3_large_320_fpn", "retinanet_resnet50_fpn_v2",
               "ssdlite320_mobilenet_v3_large", "fcos_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"]


def test_registry_holds_every_detector():
    names = [s.name for s in list_models("detection")]
    assert names[:2] == ["yolo-fastest-1.1", "yolo-fastest-1.1-xl"]  # offline first
    assert set(TORCHVISION) <= set(names)
    for name in TORCHVISION:
        spec = get_spec(name)
        w = spec.weights["model"]
        assert not spec.works_offline and w.url.endswith(w.filename) and w.sha256_prefix in w.filename
        assert spec.labels[18] == "dog" and spec.head == "boxes"


def test_offline_torchvision_detector_says_how_to_fix():
    with pytest.raises(WeightsUnavailable):
        cnnapps.load("ssdlite320_mobilenet_v3_large")  # CNNAPPS_OFFLINE=1 in the tests


def _random(name: str, **small) -> LoadedModel:
    """The registered architecture with random weights; ``min_size``/``max_size`` keep tests fast."""
    torch.manual_seed(0)
    if small:  # the same builder the spec uses, with a smaller internal resize
        module = get_spec(name).build.func(weights=None, weights_backbone=None, **small)
    else:
        module = get_spec(name).build()  # weights=None, weights_backbone=None: no download
    return LoadedModel(spec=get_spec(name), module=module.eval().requires_grad_(False),
                       device=torch.device("cpu"))


class _FixedDetector(torch.nn.Module):
    """Answers like a torchvision detector: two overlapping dogs and a car, in input pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, ...]] = []
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, images):
        self.seen.append(tuple(images[0].shape))
        return [{"boxes": torch.tensor([[100.0, 200, 1000, 1200], [110, 210, 1010, 1190], [1500, 100, 2000, 400]]),
                 "scores": torch.tensor([0.9, 0.8, 0.3]), "labels": torch.tensor([18, 18, 3])}]


def test_torchvision_path_maps_boxes_back_to_huge_images():
    module = _FixedDetector()
    loaded = LoadedModel(spec=get_spec("fasterrcnn_mobilenet_v3_large_320_fpn"), module=module,
                         device=torch.device("cpu"))
    image = np.zeros((1950, 2600, 3), np.uint8)  # larger than MAX_SIDE = 2048: shrunk first
    det = detect(loaded, image, conf=0.25, iou=0.5)
    assert module.seen == [(3, 1536, 2048)]
    assert det.labels == ("dog", "car")  # the second dog overlaps the first: NMS removed it
    np.testing.assert_allclose(det.boxes[0], np.array([100, 200, 1000, 1200]) * 2600 / 2048, rtol=1e-5)
    assert detect(loaded, image, conf=0.5).labels == ("dog",)
    assert detect(loaded, image, conf=0.25, iou=0.99).labels == ("dog", "dog", "car")
    assert detect(loaded, image, classes=["car"]).labels == ("car",)


@pytest.mark.slow  # builds a random ResNet-50 Mask R-CNN: ~25 s on a busy 2-core machine
def test_mask_rcnn_masks_follow_the_boxes():
    loaded = _random("maskrcnn_resnet50_fpn_v2", min_size=160, max_size=160)
    image = np.asarray(Image.open(sample_path("dog")).convert("RGB").resize((200, 150)))
    raw = infer(loaded, image, conf=0.0)
    assert raw.masks is not None and raw.masks.dtype == bool and raw.masks.shape == (len(raw), 150, 200)
    det = refine(raw, conf=0.0, max_det=3)
    assert det.masks.shape[0] == len(det) <= 3
    assert all(lab != "N/A" for lab in det.labels)


def test_eigencam_for_the_bundled_model():
    xl = cnnapps.load("yolo-fastest-1.1-xl")
    image = Image.open(sample_path("dog")).convert("RGB")
    det = detect(xl, image)
    dog = det.labels.index("dog")
    heat = detection_cam(xl, image, det, index=dog)
    assert heat.shape == (384, 512) and heat.dtype == np.float32
    x1, y1, x2, y2 = (int(v) for v in det.boxes[dog])
    assert heat[max(0, y1):y2, max(0, x1):x2].max() == pytest.approx(1.0)  # renormalised inside the box
    assert heat[:, :40].max() <= 0.25 + 1e-6  # dimmed outside it


@pytest.mark.slow  # a random ResNet-50 Faster R-CNN
def test_eigencam_for_a_torchvision_detector():
    image = Image.open(sample_path("dog")).convert("RGB")
    small = Image.fromarray(np.asarray(image)[::2, ::2])
    loaded = _random("fasterrcnn_resnet50_fpn_v2", min_size=160, max_size=160)
    plain = detection_cam(loaded, small, refine(infer(loaded, small), conf=0.0))
    assert plain.shape == (192, 256) and plain.min() >= 0.0 and plain.max() <= 1.0
