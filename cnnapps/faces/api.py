"""The public face API: detect, embed, verify, identify, cluster, anonymise.

Every function takes :class:`~cnnapps.loaded.LoadedModel` handles (``cnnapps.load("mtcnn")`` for
the detector, ``cnnapps.load("mobilefacenet")`` or ``cnnapps.load("facenet_vggface2")`` for the
embedder) and an image as bytes, a path or a PIL image (EXIF rotation applied, any mode -> RGB,
bad files -> :class:`~cnnapps.errors.InvalidImage`). Pipeline: MTCNN boxes + 5 landmarks ->
similarity alignment to the ArcFace template at the embedder's input size -> embedding ->
L2 normalisation -> cosine similarity against the model's calibrated threshold.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from PIL import Image

from cnnapps.errors import CnnappsError
from cnnapps.faces.anonymise import Method, anonymise_array
from cnnapps.faces.cluster import cluster_embeddings
from cnnapps.faces.detect import DetectOptions, run_mtcnn
from cnnapps.faces.embed import align_all, embed_crops
from cnnapps.faces.errors import NoFaceFound
from cnnapps.faces.gallery import FaceGallery, match
from cnnapps.images import load_image
from cnnapps.results.faces import (
    FaceClusters,
    FaceDetections,
    FaceEmbeddings,
    FaceMatch,
    Identification,
    Verification,
)

if TYPE_CHECKING:
    from cnnapps.loaded import LoadedModel

__all__ = [
    "Anonymised",
    "DetectOptions",
    "anonymise",
    "cluster_faces",
    "detect_faces",
    "embed_faces",
    "identify",
    "threshold_of",
    "verify",
]

ImageSource = bytes | str | os.PathLike[str] | Image.Image | np.ndarray


def _rgb(image: ImageSource) -> np.ndarray:
    """``[H, W, 3]`` uint8 from bytes / a path (decoded by load_image) / PIL / an RGB array."""
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an [H, W, 3] uint8 RGB array, got {image.shape} {image.dtype}")
        return image
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    return np.asarray(load_image(image))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def threshold_of(embedder: LoadedModel) -> float:
    """The embedder's calibrated cosine threshold (``spec.options["threshold"]``)."""
    return float(embedder.spec.options["threshold"])


def _detect(detector: LoadedModel, rgb: np.ndarray, options: DetectOptions) -> tuple[FaceDetections, float]:
    start = time.perf_counter()
    with detector.shared():
        faces = run_mtcnn(detector.module, rgb, options)
    _sync(detector.device)
    elapsed = (time.perf_counter() - start) * 1000
    h, w = rgb.shape[:2]
    return FaceDetections(detector.spec.name, str(detector.device), elapsed, tuple(faces), (w, h)), elapsed


def detect_faces(
    detector: LoadedModel,
    image: ImageSource,
    *,
    min_probability: float = 0.9,
    max_faces: int = 50,
    min_face_size: int = 20,
    max_side: int | None = 1600,
) -> FaceDetections:
    """Faces with boxes, probabilities and 5 landmarks, largest first (zero faces is a result)."""
    options = DetectOptions(min_probability=min_probability, max_faces=max_faces,
                            min_face_size=min_face_size, max_side=max_side)
    return _detect(detector, _rgb(image), options)[0]


def _embed(embedder: LoadedModel, rgb: np.ndarray, detections: FaceDetections) -> tuple[np.ndarray, np.ndarray]:
    crops = align_all(rgb, detections.faces, size=int(embedder.spec.options["input_size"]))
    with embedder.shared():
        embeddings = embed_crops(embedder.module, crops, embedder.spec.options)
    return crops, embeddings


def embed_faces(
    embedder: LoadedModel,
    image: ImageSource,
    *,
    detector: LoadedModel,
    min_probability: float = 0.9,
    max_faces: int = 50,
    max_side: int | None = 1600,
) -> FaceEmbeddings:
    """Detect, align and embed every face of one photo (``embeddings``: ``[N, D]`` unit vectors)."""
    start = time.perf_counter()
    rgb = _rgb(image)
    detections, _ = _detect(detector, rgb, DetectOptions(min_probability=min_probability,
                                                         max_faces=max_faces, max_side=max_side))
    crops, embeddings = _embed(embedder, rgb, detections)
    _sync(embedder.device)
    elapsed = (time.perf_counter() - start) * 1000
    return FaceEmbeddings(embedder.spec.name, str(embedder.device), elapsed, detections, crops, embeddings)


def _pick(result: FaceEmbeddings, index: int, which: str) -> int:
    if len(result) == 0:
        raise NoFaceFound(f"No face was found in {which}. Try a photo where the face is larger, "
                          "frontal and well lit.")
    if not 0 <= index < len(result):
        raise NoFaceFound(f"{which.capitalize()} has {len(result)} face(s); there is no face {index + 1}.")
    return index


def verify(
    embedder: LoadedModel,
    a: ImageSource | FaceEmbeddings,
    b: ImageSource | FaceEmbeddings,
    *,
    detector: LoadedModel,
    threshold: float | None = None,
    face_a: int = 0,
    face_b: int = 0,
) -> Verification:
    """Same person? Compares face ``face_a`` of ``a`` with face ``face_b`` of ``b`` (0 = largest).

    ``a``/``b`` may be photos or results of :func:`embed_faces` (so a page can let the user pick
    a face without embedding twice). Raises :class:`NoFaceFound` when a photo has no face.
    """
    start = time.perf_counter()
    ea = a if isinstance(a, FaceEmbeddings) else embed_faces(embedder, a, detector=detector)
    eb = b if isinstance(b, FaceEmbeddings) else embed_faces(embedder, b, detector=detector)
    for result in (ea, eb):
        if result.model_name != embedder.spec.name:
            raise ValueError("embeddings from another model than `embedder`")
    i, j = _pick(ea, face_a, "the first photo"), _pick(eb, face_b, "the second photo")
    similarity = float(np.dot(ea.embeddings[i], eb.embeddings[j]))
    elapsed = (time.perf_counter() - start) * 1000
    return Verification(
        embedder.spec.name, str(embedder.device), elapsed, similarity,
        threshold_of(embedder) if threshold is None else float(threshold),
        ea.faces[i], eb.faces[j], ea.crops[i], eb.crops[j],
    )


def identify(
    embedder: LoadedModel,
    image: ImageSource | FaceEmbeddings,
    gallery: FaceGallery,
    *,
    detector: LoadedModel,
    threshold: float | None = None,
) -> Identification:
    """Label every face of a photo with the nearest enrolled person, or "unknown"."""
    from cnnapps.faces.errors import InvalidGallery

    if len(gallery) and gallery.model_name != embedder.spec.name:
        raise InvalidGallery(f"The gallery holds {gallery.model_name!r} embeddings; choose that model "
                             f"or enrol the people again with {embedder.spec.name!r}.")
    start = time.perf_counter()
    result = image if isinstance(image, FaceEmbeddings) else embed_faces(embedder, image, detector=detector)
    thr = threshold_of(embedder) if threshold is None else float(threshold)
    found = match(gallery, result.embeddings, threshold=thr)
    matches = tuple(FaceMatch(face, name, sim, nearest)
                    for face, (name, sim, nearest) in zip(result.faces, found, strict=True))
    elapsed = (time.perf_counter() - start) * 1000
    return Identification(embedder.spec.name, str(embedder.device), elapsed, thr, matches, result.crops)


def cluster_faces(
    embedder: LoadedModel,
    images: Iterable[tuple[str, ImageSource]],
    *,
    detector: LoadedModel,
    threshold: float | None = None,
    max_faces_per_image: int = 20,
    progress: Callable[[int, str], None] | None = None,
) -> FaceClusters:
    """Group the faces of many photos by person (see :mod:`cnnapps.faces.cluster`).

    ``images`` are (name, source) pairs; a file that cannot be read is reported in ``errors``
    and the others still count. ``progress(i, name)`` is called after each photo.
    """
    start = time.perf_counter()
    files: list[str] = []
    faces: list[Any] = []
    crops: list[np.ndarray] = []
    embs: list[np.ndarray] = []
    errors: list[tuple[str, str]] = []
    size = int(embedder.spec.options["input_size"])
    for i, (name, src) in enumerate(images, start=1):
        try:
            result = embed_faces(embedder, src, detector=detector, max_faces=max_faces_per_image)
        except CnnappsError as err:
            errors.append((name, str(err)))
        else:
            files += [name] * len(result)
            faces += result.faces
            crops.append(result.crops)
            embs.append(result.embeddings)
        if progress is not None:
            progress(i, name)
    dim = int(embedder.spec.options["embedding_dim"])
    emb = np.concatenate(embs) if embs else np.zeros((0, dim), dtype=np.float32)
    all_crops = np.concatenate(crops) if crops else np.zeros((0, size, size, 3), dtype=np.uint8)
    thr = threshold_of(embedder) if threshold is None else float(threshold)
    labels = cluster_embeddings(emb, threshold=thr)
    elapsed = (time.perf_counter() - start) * 1000
    return FaceClusters(embedder.spec.name, str(embedder.device), elapsed, thr, tuple(files), tuple(faces),
                        labels, all_crops, emb, tuple(errors))


@dataclass(frozen=True)
class Anonymised:
    """A photo with every detected face blurred or pixelated."""

    image: np.ndarray  # [H, W, 3] uint8
    detections: FaceDetections

    def rows(self) -> list[dict[str, Any]]:
        return self.detections.rows()


def anonymise(
    detector: LoadedModel,
    image: ImageSource,
    *,
    method: Method = "blur",
    strength: int = 5,
    min_probability: float = 0.8,
) -> Anonymised:
    """Blur or pixelate every face found (a lower default probability: better safe than sorry)."""
    rgb = _rgb(image)
    detections, _ = _detect(detector, rgb, DetectOptions(min_probability=min_probability, max_faces=200))
    return Anonymised(anonymise_array(rgb, detections.faces, method=method, strength=strength), detections)
