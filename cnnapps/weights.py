"""Resolve a model's weights file in one fixed order, then load the model.

Order (timm's ``_resolve_pretrained_source`` idea, pydicom's hash-checked downloads):

1. the file bundled in ``cnnapps/weights/`` (works offline, sha256 checked);
2. a local cache: torch hub's ``<hub_dir>/checkpoints`` (torchvision) and
   ``$TORCH_HOME/checkpoints`` (facenet-pytorch), in that order;
3. a download into the file's cache (torch hub's or facenet-pytorch's), reporting progress
   through a callback;
4. otherwise :class:`~cnnapps.errors.WeightsUnavailable`, whose message names the missing file,
   where to put it, and which models work offline instead.

Nothing here runs at import (house rule 4).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import torch

from cnnapps.errors import WeightsUnavailable
from cnnapps.registry import ModelSpec, WeightsSource, list_models

__all__ = [
    "BUNDLED_DIR",
    "OFFLINE_ENV",
    "Progress",
    "cache_dirs",
    "hub_reachable",
    "missing_weights",
    "offline",
    "resolve_file",
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


def offline() -> bool:
    """Whether downloads are switched off by ``CNNAPPS_OFFLINE``."""
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# (path, size, mtime_ns) -> sha256: each page rerun resolves its model's weights again, and
# hashing a 553 MB VGG-16 file every time would cost seconds; a changed file is hashed anew.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def _digest(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_file(path)
    return _DIGESTS[key]


def _hub_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def _torch_home_dir() -> Path:
    return Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "checkpoints"


def cache_dirs() -> list[Path]:
    """Where downloaded weights may already be: torch hub's, then facenet-pytorch's."""
    return list(dict.fromkeys([_hub_dir(), _torch_home_dir()]))  # de-duplicated, order kept


def _download_dir(source: WeightsSource) -> Path:
    return _hub_dir() if source.cache == "hub" else _torch_home_dir()


def _hash_ok(path: Path, source: WeightsSource) -> bool:
    """The file matches the digest the registry states (a full sha256 or a torch.hub prefix)."""
    if source.sha256 is None and source.sha256_prefix is None:
        return True
    actual = _digest(path)
    if source.sha256 is not None:
        return actual == source.sha256
    return actual.startswith(str(source.sha256_prefix))


def _offline_alternatives(task: str) -> str:
    names = [s.display_name for s in list_models(task) if s.works_offline]
    return ", ".join(names) if names else "none for this task"


def _unavailable(spec: ModelSpec, source: WeightsSource, reason: str) -> WeightsUnavailable:
    size = f", {source.size_bytes / 1e6:.0f} MB" if source.size_bytes else ""
    lines = [
        f"The weights of {spec.display_name} are not on this machine and could not be downloaded "
        f"({reason}).",
        f"To use it offline, download {source.url or source.filename}{size} on a "
        f"machine with internet and save it as {_download_dir(source) / source.filename}.",
        f"Models that work offline: {_offline_alternatives(spec.task)}.",
    ]
    return WeightsUnavailable(" ".join(lines), reason=reason)


def _download(source: WeightsSource, dest: Path, progress: Progress | None, timeout: float) -> None:
    assert source.url is not None
    dest.parent.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(source.url, headers={"User-Agent": "cnnapps"})
    # Write to a temporary file in the same folder, then rename: a half-finished download never
    # looks like a cached file (torch.hub.download_url_to_file does the same).
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or source.size_bytes
            done = 0
            if progress:
                progress(0, total)
            while block := resp.read(_CHUNK):
                out.write(block)
                done += len(block)
                if progress:
                    progress(done, total)
        if not _hash_ok(tmp, source):
            raise WeightsUnavailable(
                f"The download of {source.filename} is corrupt (sha256 mismatch); "
                "it was deleted, please try again."
            )
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def resolve_file(
    spec: ModelSpec, key: str = "model", *, progress: Progress | None = None, timeout: float = 20.0
) -> Path:
    """Path of the verified weights file ``spec.weights[key]``, downloading it if needed and allowed.

    Raises:
        WeightsUnavailable: not bundled, not cached, and the download failed or is disabled.
    """
    source = spec.weights[key]
    name = source.filename
    if source.bundled:
        path = BUNDLED_DIR / name
        if path.is_file() and _hash_ok(path, source):
            return path
        if path.is_file():
            raise WeightsUnavailable(
                f"The bundled file {path} does not match its sha256 in the registry: the checkout "
                "is damaged (a Git LFS pointer?). Re-clone the repository."
            )
    for folder in cache_dirs():
        path = folder / name
        if path.is_file() and _hash_ok(path, source):
            return path
    if source.url is None:
        raise _unavailable(spec, source, "it has no download address")
    if offline():
        raise _unavailable(spec, source, f"downloads are disabled by {OFFLINE_ENV}")
    dest = _download_dir(source) / name
    try:
        _download(source, dest, progress, timeout)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        raise _unavailable(spec, source, f"network error: {getattr(err, 'reason', err)}") from err
    return dest


def resolve_weights(
    spec: ModelSpec, *, progress: Progress | None = None, timeout: float = 20.0
) -> dict[str, Path]:
    """Every weights file of ``spec``, by the names the spec gives them (see :func:`resolve_file`)."""
    return {key: resolve_file(spec, key, progress=progress, timeout=timeout) for key in spec.weights}


def missing_weights(spec: ModelSpec) -> list[str]:
    """Names of ``spec``'s files that are neither bundled nor cached (no network is touched)."""
    missing = []
    for key, source in spec.weights.items():
        places = [BUNDLED_DIR] if source.bundled else []
        if not any((folder / source.filename).is_file() for folder in [*places, *cache_dirs()]):
            missing.append(key)
    return missing


def hub_reachable(timeout: float = 2.0) -> bool:
    """Whether the torchvision weights host answers (for the sidebar's online/offline badge)."""
    if offline():
        return False
    try:
        request = urllib.request.Request(HUB_URL, method="HEAD", headers={"User-Agent": "cnnapps"})
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # the host answered (e.g. 403 on the folder): downloads can work
    except (urllib.error.URLError, OSError, TimeoutError):
        return False
