"""The model registry: one frozen :class:`ModelSpec` per model, registered once.

Shaped after torchvision's ``_api.register_model`` (a dict that refuses duplicates) and its
``Weights`` (URL + preprocessing + meta travel together), but as plain data that serves every
application: a spec names its task (checked against :data:`TASKS`), its output head, any number
of weight files, optional labels and an optional CAM configuration. Labels, preprocessing and CAM
layers live here, never in a page (house rule 3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # annotations only: importing the registry stays free of torch
    from torch import Tensor, nn

__all__ = [
    "TASKS",
    "CamConfig",
    "Head",
    "ModelMeta",
    "ModelSpec",
    "Preprocessing",
    "WeightsSource",
    "get_spec",
    "list_models",
    "register",
]

# The task table: a spec's ``task`` must be one of these keys (open to new applications: add a
# line here, and the registry-invariant tests cover the new task's models automatically).
TASKS: Mapping[str, str] = MappingProxyType({
    "classification": "image -> class probabilities (softmax) or findings (sigmoid)",
    "sentiment": "text -> sentiment class probabilities",
    "detection": "image -> labelled boxes",
    "face_detection": "image -> face boxes with five landmarks",
    "face_embedding": "aligned face crop -> identity embedding",
    "xray": "chest radiograph -> findings",
})

# What the network's output means: one softmax over exclusive classes, independent sigmoids
# (multi-label findings), boxes (detectors), or an embedding vector (faces).
Head = Literal["softmax", "sigmoid", "boxes", "embedding"]


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Preprocessing:
    """How a PIL image becomes the model's input tensor (torchvision ``ImageClassification`` style).

    ``resize`` is either an int (shorter side, aspect kept; then centre crop to ``crop``) or a
    (height, width) pair (the whole image squashed, as the TFLite MobileNet reference does).
    Pixel values are scaled to [0, 1], then ``(x - mean) / std`` per channel.
    """

    resize: int | tuple[int, int]
    crop: tuple[int, int] | None  # (height, width); None when ``resize`` is already the input size
    mean: tuple[float, ...] = (0.485, 0.456, 0.406)  # ImageNet statistics
    std: tuple[float, ...] = (0.229, 0.224, 0.225)
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
    """One weights file and where it comes from, in the order :mod:`cnnapps.weights` tries them.

    ``filename`` is the file's name both in ``cnnapps/weights/`` (when ``bundled``) and in the
    caches. The expected hash is explicit: a full ``sha256`` (bundled files must have one) or the
    ``sha256_prefix`` that torch.hub-style file names carry (``resnet18-f37072fd.pth``).
    """

    filename: str
    sha256: str | None = None  # full hex digest
    sha256_prefix: str | None = None  # first hex digits of the digest (torch.hub convention)
    url: str | None = None  # None: bundled only, never downloaded
    bundled: bool = False
    size_bytes: int | None = None  # for the progress bar and the "how big" column
    # Where a download is stored: torch hub's <hub_dir>/checkpoints (torchvision) or
    # $TORCH_HOME/checkpoints (facenet-pytorch's own cache).
    cache: Literal["hub", "torch_home"] = "hub"

    def __post_init__(self) -> None:
        if self.bundled and not self.sha256:
            raise ValueError(f"bundled weights {self.filename!r} need a full sha256")
        if not self.bundled and self.url is None:
            raise ValueError(f"{self.filename!r} is neither bundled nor downloadable (no url)")


@dataclass(frozen=True)
class CamConfig:
    """Class-activation maps for a model: which layers, which method, and how to reshape.

    ``reshape_transform`` turns a layer's activation into [N, C, H, W] (grad-cam's convention;
    needed for transformer tokens and some detector outputs).
    """

    target_layers: tuple[str, ...]  # dotted module paths, resolved with ``get_submodule``
    method: Literal["gradcam", "gradcam++", "eigencam"] = "gradcam"
    reshape_transform: Callable[[Tensor], Tensor] | None = None


@dataclass(frozen=True)
class ModelMeta:
    """What the UI and the README say about a model (no behaviour)."""

    licence: str = ""
    citation: str = ""
    description: str = ""
    # Measured numbers quoted in the UI: {"ImageNet top-1 (%)": 71.9, ...} (units in the key).
    metrics: Mapping[str, float] = field(default_factory=_frozen)
    caveat: str = ""  # shown on the page beside results (e.g. a training-data licence limit)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", _frozen(self.metrics))


@dataclass(frozen=True)
class ModelSpec:
    """Everything the app knows about one model, before any weights are read.

    ``build`` makes the architecture with random weights (no file, no network: tests use it).
    ``load`` turns the resolved weight files (same keys as ``weights``) into a CPU module; when
    it is None the model is ``build()`` plus the state dict in ``weights["model"]``.
    """

    name: str  # registry key, stable, used in cache keys, URLs and the CLI
    task: str  # a key of TASKS
    display_name: str
    build: Callable[[], nn.Module]
    weights: Mapping[str, WeightsSource]
    load: Callable[[Mapping[str, Path]], nn.Module] | None = None
    head: Head = "softmax"
    labels: tuple[str, ...] | None = None
    preprocessing: Preprocessing | None = None  # image models
    cam: CamConfig | None = None
    meta: ModelMeta = field(default_factory=ModelMeta)
    options: Mapping[str, Any] = field(default_factory=_frozen)  # task-specific plain data

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"{self.name}: unknown task {self.task!r}; known: {', '.join(TASKS)}")
        if not self.weights:
            raise ValueError(f"{self.name}: a model needs at least one weights file")
        if self.load is None and "model" not in self.weights:
            raise ValueError(f"{self.name}: without a load() the weights need a 'model' entry")
        # Freeze the mappings so a shared spec can never be changed by a caller.
        object.__setattr__(self, "weights", _frozen(self.weights))
        object.__setattr__(self, "options", _frozen(self.options))

    @property
    def works_offline(self) -> bool:
        """Every weights file ships with the package."""
        return all(w.bundled for w in self.weights.values())


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add ``spec``; a second spec under the same name is a programming error."""
    if spec.name in _REGISTRY:
        raise ValueError(f"A model is already registered under the name {spec.name!r}")
    _REGISTRY[spec.name] = spec
    return spec


def _ensure_zoo() -> None:
    # The zoo modules call register(); importing them lazily keeps `import cnnapps` cheap.
    from cnnapps import zoo  # noqa: F401


def list_models(task: str | None = None) -> list[ModelSpec]:
    """Registered specs (of one task), offline models first, then by display name."""
    _ensure_zoo()
    if task is not None and task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    specs = [s for s in _REGISTRY.values() if task is None or s.task == task]
    return sorted(specs, key=lambda s: (not s.works_offline, s.display_name.lower()))


def get_spec(name: str) -> ModelSpec:
    _ensure_zoo()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"No model named {name!r}; registered: {known}") from None
