"""cnnapps: convolutional networks you can watch.

The public API. Names are imported lazily (PEP 562 module ``__getattr__``), so ``import cnnapps``
stays cheap (no torch) and free of side effects; a name's module loads on first use.

>>> import cnnapps
>>> model = cnnapps.load("mobilenet_v2_tflite")             # doctest: +SKIP
>>> cnnapps.classify(model, "cat.jpg", top_k=3).best.label  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# public name -> module that defines it. Applications append their entries here.
_LAZY: dict[str, str] = {
    "CnnappsError": "cnnapps.errors",
    "InvalidImage": "cnnapps.errors",
    "InvalidInput": "cnnapps.errors",
    "InvalidText": "cnnapps.errors",
    "WeightsUnavailable": "cnnapps.errors",
    "ModelSpec": "cnnapps.registry",
    "TASKS": "cnnapps.registry",
    "get_spec": "cnnapps.registry",
    "list_models": "cnnapps.registry",
    "LoadedModel": "cnnapps.loaded",
    "load": "cnnapps.loaded",
    "resolve_device": "cnnapps.device",
    "load_image": "cnnapps.images",
    "Classification": "cnnapps.results",
    "Prediction": "cnnapps.results",
    "SentimentResult": "cnnapps.results",
    "classify": "cnnapps.tasks.classify",
    "sentiment": "cnnapps.tasks.sentiment",
    "explain_sentiment": "cnnapps.tasks.sentiment:explain",
    "detect": "cnnapps.tasks.detect",
    "detect_faces": "cnnapps.faces.api",
    "embed_faces": "cnnapps.faces.api",
    "verify": "cnnapps.faces.api",
    "identify": "cnnapps.faces.api",
    "cluster_faces": "cnnapps.faces.api",
    "anonymise": "cnnapps.faces.api",
    "FaceGallery": "cnnapps.faces.gallery",
    "enroll": "cnnapps.faces.gallery",
    "match": "cnnapps.faces.gallery",
    "read_dicom": "cnnapps.medical.dicom",
    "DicomImage": "cnnapps.medical.dicom",
    "InvalidDicom": "cnnapps.medical.dicom",
    "xray": "cnnapps.medical.xray",
    "XrayFindings": "cnnapps.results.xray",
    "feature_maps": "cnnapps.explorer.features",
    "summarise": "cnnapps.explorer.architectures",
    "convolve": "cnnapps.explorer.ops",
    "LabConfig": "cnnapps.lab.config",
    "train_lab": "cnnapps.lab.trainer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'cnnapps' has no attribute {name!r}")
    module_name, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module_name), attr or name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from cnnapps.device import resolve_device
    from cnnapps.errors import CnnappsError, InvalidImage, InvalidInput, InvalidText, WeightsUnavailable
    from cnnapps.images import load_image
    from cnnapps.loaded import LoadedModel, load
    from cnnapps.registry import TASKS, ModelSpec, get_spec, list_models
    from cnnapps.results import Classification, Prediction, SentimentResult
    from cnnapps.tasks.classify import classify
    from cnnapps.tasks.sentiment import explain as explain_sentiment
    from cnnapps.tasks.sentiment import sentiment
