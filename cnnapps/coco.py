"""COCO category names and ids, shared by every detector so class filters mean the same thing.

COCO numbers its 80 detection categories 1..90 with gaps (ids of categories dropped before
release). torchvision's detectors predict those ids directly; darknet models predict 0..79 in
the same order with a few older names ("motorbike", "aeroplane", "sofa", ...). We show COCO's
official names for both and export COCO's ids.
"""

from __future__ import annotations

from functools import cache

__all__ = ["coco_categories", "darknet_to_coco"]


@cache
def coco_categories() -> tuple[str, ...]:
    """91 names indexed by COCO category id; index 0 is "__background__", gaps are "N/A"."""
    from torchvision.models.detection import FasterRCNN_ResNet50_FPN_V2_Weights

    return tuple(FasterRCNN_ResNet50_FPN_V2_Weights.DEFAULT.meta["categories"])


@cache
def darknet_to_coco() -> tuple[int, ...]:
    """COCO category id of each of the 80 darknet classes (darknet index -> COCO id)."""
    ids = tuple(i for i, name in enumerate(coco_categories()) if name not in ("__background__", "N/A"))
    assert len(ids) == 80
    return ids
