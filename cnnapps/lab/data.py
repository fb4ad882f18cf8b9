"""The lab's data sets as small in-memory tensors, split by class with a local generator.

- ``mnist``: 6,000 MNIST digits bundled with the package (``cnnapps/lab/data/mnist_6k.npz``,
  600 per class; LeCun et al. 1998, CC BY-SA 3.0; built by ``scripts/make_lab_mnist.py``), so the
  lab works offline from a fresh clone. A bigger file of the same layout can be given as ``path``.
- ``pneumoniamnist``: PneumoniaMNIST (MedMNIST v2, Yang et al. 2023) when its ``.npz`` is given
  (``path`` or ``$CNNAPPS_PNEUMONIAMNIST``); its ``train_`` split is pooled and split again here.
- ``fashion_mnist``, ``cifar10``: through torchvision, downloaded into ``$CNNAPPS_DATA_DIR``
  (default ``~/.cache/cnnapps/datasets``) unless ``$CNNAPPS_OFFLINE=1``; offline and not cached
  they raise :class:`DatasetUnavailable` with a message that says how to get them.

Images are float32 in [0, 1], shape [N, C, H, W]; normalisation (per channel, from the training
split) happens per batch in :class:`Batches`, after augmentation.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnapps.errors import CnnappsError

__all__ = ["BUNDLED_MNIST", "DATASET_INFO", "Batches", "DatasetUnavailable", "LabData", "available_datasets",
           "default_data_path", "load_arrays", "load_dataset", "stratified_sample"]

BUNDLED_MNIST = Path(__file__).resolve().parent / "data" / "mnist_6k.npz"
_REPO = Path(__file__).resolve().parents[2]

DATASET_INFO = {
    "mnist": ("MNIST digits", tuple(str(i) for i in range(10))),
    "pneumoniamnist": ("PneumoniaMNIST chest X-rays", ("normal", "pneumonia")),
    "fashion_mnist": ("Fashion-MNIST", ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                        "Shirt", "Sneaker", "Bag", "Ankle boot")),
    "cifar10": ("CIFAR-10", ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                             "ship", "truck")),
}


class DatasetUnavailable(CnnappsError, RuntimeError):
    """The data set is not bundled, not cached and cannot be downloaded; says how to get it."""


@dataclass(frozen=True, eq=False)
class LabData:
    name: str
    labels: tuple[str, ...]
    x_train: torch.Tensor  # float32 [N, C, H, W] in [0, 1]
    y_train: torch.Tensor  # int64 [N]
    x_val: torch.Tensor
    y_val: torch.Tensor
    mean: tuple[float, ...]  # per channel, over x_train
    std: tuple[float, ...]
    source: str  # where the images came from (shown on the page / in the CLI)

    @property
    def channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.x_train.shape[-1])


def _offline() -> bool:
    return os.environ.get("CNNAPPS_OFFLINE", "") not in ("", "0")


def default_data_path(name: str) -> Path | None:
    """Where a data set that needs a file is found without asking: the environment, then ../shared."""
    if name == "pneumoniamnist":
        env = os.environ.get("CNNAPPS_PNEUMONIAMNIST")
        for cand in ([Path(env)] if env else []) + [_REPO.parent / "shared/data/pneumoniamnist/pneumoniamnist.npz"]:
            if cand.is_file():
                return cand
    return None


def available_datasets() -> list[str]:
    """The data sets that can be loaded right now, without a network (mnist always)."""
    out = ["mnist"]
    if default_data_path("pneumoniamnist") is not None:
        out.append("pneumoniamnist")
    out += ["fashion_mnist", "cifar10"]  # listed always: the page explains when they are offline
    return out


def _read_npz(path: Path, keys: Sequence[str]) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data]
            if missing:
                raise DatasetUnavailable(f"{path.name} has no {', '.join(missing)} arrays (has {', '.join(data.files)})")
            return {k: data[k] for k in keys}
    except (OSError, ValueError) as err:
        raise DatasetUnavailable(f"Cannot read {path}: {err}") from err


def _torchvision(name: str) -> tuple[np.ndarray, np.ndarray]:
    from torchvision import datasets  # lazy: torchvision import is slow and only needed here

    root = Path(os.environ.get("CNNAPPS_DATA_DIR") or Path.home() / ".cache" / "cnnapps" / "datasets")
    cls = {"fashion_mnist": datasets.FashionMNIST, "cifar10": datasets.CIFAR10}[name]
    title = DATASET_INFO[name][0]
    try:
        ds = cls(str(root), train=True, download=False)
    except RuntimeError:
        if _offline():
            raise DatasetUnavailable(
                f"{title} is not on this machine and the app is offline (CNNAPPS_OFFLINE=1). Run "
                f"`python -m cnnapps train --dataset {name}` once with a network (it caches under {root}), "
                "or use MNIST, which is bundled.") from None
        try:
            ds = cls(str(root), train=True, download=True)
        except Exception as err:  # urllib/HTTP/OS errors from torchvision's downloader
            raise DatasetUnavailable(f"Could not download {title} into {root} ({err}). "
                                     "Check the network, or use MNIST, which is bundled.") from err
    x = np.asarray(ds.data)
    return (x if x.ndim == 4 else x[..., None]), np.asarray(ds.targets, dtype=np.int64)


def load_arrays(name: str, *, path: Path | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """All images of data set ``name`` as uint8 [N, H, W, C], labels int64 [N], and a source line."""
    if name == "mnist":
        src = Path(path) if path else BUNDLED_MNIST
        d = _read_npz(src, ("x", "y"))
        what = "bundled subset" if src == BUNDLED_MNIST else src.name
        return d["x"][..., None], d["y"].astype(np.int64), f"MNIST ({what}, {len(d['y']):,} digits)"
    if name == "pneumoniamnist":
        src = Path(path) if path else default_data_path(name)
        if src is None or not src.is_file():
            raise DatasetUnavailable("PneumoniaMNIST needs its pneumoniamnist.npz (MedMNIST v2): pass its path "
                                     "(--data-path) or set CNNAPPS_PNEUMONIAMNIST.")
        d = _read_npz(src, ("train_images", "train_labels"))
        return (d["train_images"][..., None], d["train_labels"].reshape(-1).astype(np.int64),
                f"PneumoniaMNIST train split ({src.name}, {len(d['train_labels']):,} images)")
    if name in ("fashion_mnist", "cifar10"):
        x, y = _torchvision(name)
        return x, y, f"{DATASET_INFO[name][0]} training set (torchvision, {len(y):,} images)"
    raise DatasetUnavailable(f"Unknown data set {name!r}; choose from {', '.join(DATASET_INFO)}")


def stratified_sample(labels: np.ndarray, n: int, *, generator: np.random.Generator,
                      exclude: np.ndarray | None = None) -> np.ndarray:
    """``n`` indices of ``labels`` with the classes in their overall proportions (largest remainder).

    Indices in ``exclude`` are never chosen. Returned in random order.
    """
    pool = np.ones(len(labels), dtype=bool)
    if exclude is not None:
        pool[exclude] = False
    classes = np.unique(labels)
    by_class = [np.flatnonzero(pool & (labels == c)) for c in classes]
    total = sum(len(ix) for ix in by_class)
    if n > total:
        raise DatasetUnavailable(f"Asked for {n:,} images but only {total:,} are left in the data set")
    quota = np.array([n * len(ix) / total for ix in by_class])
    take = np.floor(quota).astype(int)
    for i in np.argsort(-(quota - take), kind="stable")[: n - take.sum()]:
        take[i] += 1
    chosen = np.concatenate([generator.choice(ix, k, replace=False) for ix, k in zip(by_class, take, strict=True)])
    return chosen[generator.permutation(len(chosen))]


def load_dataset(name: str, *, train_size: int, val_size: int, seed: int = 0,
                 path: Path | None = None) -> LabData:
    """A stratified, seeded train/validation split of ``name`` (sizes exact, no overlap)."""
    x, y, source = load_arrays(name, path=path)
    if train_size + val_size > len(y):
        raise DatasetUnavailable(
            f"{source} has {len(y):,} images: training ({train_size:,}) + validation ({val_size:,}) "
            "must not exceed that.")
    rng = np.random.default_rng(seed)
    val_idx = stratified_sample(y, val_size, generator=rng)
    train_idx = stratified_sample(y, train_size, generator=rng, exclude=val_idx)

    def tensor(ix: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x[ix].transpose(0, 3, 1, 2))).float().div_(255.0)

    x_train, x_val = tensor(train_idx), tensor(val_idx)
    mean = tuple(float(v) for v in x_train.mean(dim=(0, 2, 3)))
    std = tuple(max(float(v), 1e-3) for v in x_train.std(dim=(0, 2, 3)))
    return LabData(name, DATASET_INFO[name][1], x_train, torch.from_numpy(y[train_idx]), x_val,
                   torch.from_numpy(y[val_idx]), mean, std, source)


class Batches:
    """Re-iterable ``(x, y)`` batches on ``device``: shuffled, augmented and normalised per batch.

    Args:
        shuffle/augment: with a ``generator`` (on ``device``) each pass draws a new order and new
            transforms; the same generator state gives the same batches.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, *, batch_size: int, mean: Sequence[float],
                 std: Sequence[float], device: torch.device, shuffle: bool = False,
                 augment: Sequence[str] = (), generator: torch.Generator | None = None) -> None:
        if (shuffle or augment) and generator is None:
            raise ValueError("shuffling or augmenting needs a generator (no global RNG)")
        self.x, self.y = x.to(device), y.to(device)
        self.batch_size, self.shuffle, self.augment, self.generator = batch_size, shuffle, tuple(augment), generator
        self.mean = torch.tensor(mean, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(std, device=device).view(1, -1, 1, 1)

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        from cnnapps.lab.augment import augment_batch

        n = len(self.y)
        order = (torch.randperm(n, generator=self.generator, device=self.x.device) if self.shuffle
                 else torch.arange(n, device=self.x.device))
        for start in range(0, n, self.batch_size):
            ix = order[start:start + self.batch_size]
            xb = self.x[ix]
            if self.augment:
                xb = augment_batch(xb, self.augment, generator=self.generator)
            yield (xb - self.mean) / self.std, self.y[ix]
