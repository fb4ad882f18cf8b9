"""The model registry: one frozen :class:`ModelSpec` per model, registered once.

Shaped after torchvision's ``_api.register_model`` (a dict that refuses duplicates) and its
``Weights`` (URL + preprocessing + meta travel together), but as plain data: labels,
preprocessing and the Grad-CAM target layer live here, never in a page (house rule 3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "ModelSpec",
    "Preprocessing",
    "WeightsSource",
    "get_spec",
    "list_models",
    "register",
]

Task = Literal["classification", "sentiment"]


@dataclass(frozen=True)
class Preprocessing:
    """How a PIL image becomes the model's input tensor (torchvision ``ImageClassification`` style).

    ``resize`` is either an int (shorter side, aspect kept; then centre crop to ``crop``) or a
    (height, width) pair (the whole image squashed, as the TFLite MobileNet reference does).
    Pixel values are scaled to [0, 1], then ``(x - mean) / std`` per channel.
    """

    resize: int | tuple[int, int]
    crop: tuple[int, int] | None  # (height, width); None when ``resize`` is already the input size
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)  # ImageNet statistics
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    interpolation: Literal["bilinear", "bicubic"] = "bilinear"

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the tensor that reaches the model."""
        if self.crop is not None:
            return self.crop
        if isinstance(self.resize, int):
            return (self.resize, self.resize)
        return self.resize


@dataclass(frozen=True)
class WeightsSource:
    """Where a model's weights come from, in the order :mod:`cnnapps.weights` tries them.

    ``filename`` is the file's name both in ``cnnapps/weights/`` (when ``bundled``) and in the
    torch hub cache; torchvision's files carry the first hex digits of their sha256 in the name
    (``resnet18-f37072fd.pth``), which torch.hub checks, and so do we when ``sha256`` is None.
    """

    filename: str
    sha256: str | None = None  # full digest; known for bundled files
    url: str | None = None  # None: bundled only, never downloaded
    bundled: bool = False
    size_bytes: int | None = None  # for the progress bar and the "how big" column


@dataclass(frozen=True)
class ModelSpec:
    """Everything the app knows about one model, before any weights are read.

    ``build`` makes the architecture with random weights (no file, no network: tests use it);
    ``load`` turns a resolved weights file into a ready CPU module in eval mode.
    """

    task: Task
    name: str  # registry key, stable, used in cache keys and URLs
    display_name: str
    labels: tuple[str, ...]
    build: Callable[[], Any]
    load: Callable[[Path], Any]
    weights: WeightsSource
    preprocessing: Preprocessing | None = None  # image models only
    target_layer: str | None = None  # for Grad-CAM: resolved with ``model.get_submodule``
    licence: str = ""
    citation: str = ""
    description: str = ""
    # Measured numbers quoted in the UI: {"ImageNet top-1": 71.9, ...} (units in the key).
    metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def works_offline(self) -> bool:
        return self.weights.bundled


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add ``spec``; a second spec under the same name is a programming error."""
    if spec.name in _REGISTRY:
        raise ValueError(f"A model is already registered under the name {spec.name!r}")
    _REGISTRY[spec.name] = spec
    return spec


def _ensure_zoo() -> None:
    # The zoo modules call register(); importing them lazily keeps `import cnnapps` cheap and
    # free of torchvision at import time.
    from cnnapps import zoo  # noqa: F401


def list_models(task: Task | None = None) -> list[ModelSpec]:
    """Registered specs (of one task), bundled (offline) models first, then by display name."""
    _ensure_zoo()
    specs = [s for s in _REGISTRY.values() if task is None or s.task == task]
    return sorted(specs, key=lambda s: (not s.weights.bundled, s.display_name.lower()))


def get_spec(name: str) -> ModelSpec:
    _ensure_zoo()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"No model named {name!r}; registered: {known}") from None
