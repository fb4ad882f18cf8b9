"""Resolve a model's weights file in one fixed order, then load the model.

Order (timm's ``_resolve_pretrained_source`` idea, pydicom's hash-checked downloads):

1. the file bundled in ``cnnapps/weights/`` (works offline, sha256 checked);
2. a local cache: torch hub's ``<hub_dir>/checkpoints`` (torchvision) and
   ``$TORCH_HOME/checkpoints`` (facenet-pytorch), in that order;
3. a download into torch hub's cache, reporting progress through a callback;
4. otherwise :class:`~cnnapps.errors.WeightsUnavailable`, whose message names the missing file,
   where to put it, and which models work offline instead.

Nothing here runs at import (house rule 4).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from cnnapps.errors import WeightsUnavailable
from cnnapps.registry import ModelSpec, list_models

__all__ = [
    "BUNDLED_DIR",
    "OFFLINE_ENV",
    "Progress",
    "cache_dirs",
    "hub_reachable",
    "load_model",
    "resolve_weights",
    "sha256_file",
]

BUNDLED_DIR = Path(__file__).resolve().parent / "weights"
# Set CNNAPPS_OFFLINE=1 to never touch the network (tests; air-gapped boxes): step 3 is skipped.
OFFLINE_ENV = "CNNAPPS_OFFLINE"
HUB_URL = "https://download.pytorch.org/models/"

# progress(done_bytes, total_bytes or None)
Progress = Callable[[int, int | None], None]

_CHUNK = 1 << 20
# torch.hub's convention: "name-<first hex digits of sha256>.ext" (torch.hub.HASH_REGEX).
_HASH_IN_NAME = re.compile(r"-([a-f0-9]{6,})\.")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dirs() -> list[Path]:
    """Where downloaded weights may already be: torch hub's, then facenet-pytorch's."""
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "checkpoints"
    return list(dict.fromkeys([hub, torch_home]))  # de-duplicated, order kept


def _expected_digest(spec: ModelSpec) -> tuple[str, bool] | None:
    """(hex digest, is_full) for the file, or None when nothing is known."""
    if spec.weights.sha256:
        return spec.weights.sha256, True
    match = _HASH_IN_NAME.search(spec.weights.filename)
    return (match.group(1), False) if match else None


def _hash_ok(path: Path, spec: ModelSpec) -> bool:
    expected = _expected_digest(spec)
    if expected is None:
        return True
    digest, full = expected
    actual = sha256_file(path)
    return actual == digest if full else actual.startswith(digest)


def _offline_alternatives(spec: ModelSpec) -> str:
    names = [s.display_name for s in list_models(spec.task) if s.weights.bundled]
    return ", ".join(names) if names else "none for this task"


def _unavailable(spec: ModelSpec, reason: str) -> WeightsUnavailable:
    size = f", {spec.weights.size_bytes / 1e6:.0f} MB" if spec.weights.size_bytes else ""
    where = cache_dirs()[0]
    lines = [
        f"The weights of {spec.display_name} are not on this machine and could not be downloaded "
        f"({reason}).",
        f"To use it offline, download {spec.weights.url or spec.weights.filename}{size} on a "
        f"machine with internet and save it as {where / spec.weights.filename}.",
        f"Models that work offline: {_offline_alternatives(spec)}.",
    ]
    return WeightsUnavailable(" ".join(lines))


def _download(spec: ModelSpec, dest: Path, progress: Progress | None, timeout: float) -> None:
    assert spec.weights.url is not None
    dest.parent.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(spec.weights.url, headers={"User-Agent": "cnnapps"})
    # Write to a temporary file in the same folder, then rename: a half-finished download never
    # looks like a cached file (torch.hub.download_url_to_file does the same).
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or spec.weights.size_bytes
            done = 0
            if progress:
                progress(0, total)
            while block := resp.read(_CHUNK):
                out.write(block)
                done += len(block)
                if progress:
                    progress(done, total)
        if not _hash_ok(tmp, spec):
            raise WeightsUnavailable(
                f"The download of {spec.weights.filename} is corrupt (sha256 mismatch); "
                "it was deleted, please try again."
            )
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def resolve_weights(
    spec: ModelSpec, *, progress: Progress | None = None, timeout: float = 20.0
) -> Path:
    """Path of a verified weights file for ``spec``, downloading it if needed and allowed.

    Raises:
        WeightsUnavailable: not bundled, not cached, and the download failed or is disabled.
    """
    name = spec.weights.filename
    if spec.weights.bundled:
        path = BUNDLED_DIR / name
        if path.is_file() and _hash_ok(path, spec):
            return path
        if path.is_file():
            raise WeightsUnavailable(
                f"The bundled file {path} does not match its sha256 in the registry: the checkout "
                "is damaged (a Git LFS pointer?). Re-clone the repository."
            )
    for folder in cache_dirs():
        path = folder / name
        if path.is_file() and _hash_ok(path, spec):
            return path
    if spec.weights.url is None:
        raise _unavailable(spec, "it has no download address")
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
        raise _unavailable(spec, f"downloads are disabled by {OFFLINE_ENV}")
    dest = cache_dirs()[0] / name
    try:
        _download(spec, dest, progress, timeout)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        raise _unavailable(spec, f"network error: {getattr(err, 'reason', err)}") from err
    return dest


def load_model(
    spec: ModelSpec, *, device: torch.device | None = None, progress: Progress | None = None
) -> Any:
    """Resolve the weights, build the model, move it to ``device``, eval mode, frozen.

    Parameters are frozen (``requires_grad=False``): a loaded model is only ever used for
    inference and is shared between sessions, so nothing may accumulate ``.grad`` in it.
    """
    model = spec.load(resolve_weights(spec, progress=progress))
    if device is not None:
        model = model.to(device)
    model.requires_grad_(False)
    return model.eval()


def hub_reachable(timeout: float = 2.0) -> bool:
    """Whether the torchvision weights host answers (for the sidebar's online/offline badge)."""
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
        return False
    try:
        request = urllib.request.Request(HUB_URL, method="HEAD", headers={"User-Agent": "cnnapps"})
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # the host answered (e.g. 403 on the folder): downloads can work
    except (urllib.error.URLError, OSError, TimeoutError):
        return False
