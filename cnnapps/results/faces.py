"""Result types of the face application: frozen, no tensors (numpy arrays are fine), rows().

Coordinates are pixels of the photo *after* its EXIF rotation (what :func:`cnnapps.images.load_image`
returns); boxes are ``(x1, y1, x2, y2)``; landmarks are five ``(x, y)`` points in the order left eye,
right eye, nose, left mouth corner, right mouth corner (as seen in the image).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Face",
    "FaceClusters",
    "FaceDetections",
    "FaceEmbeddings",
    "FaceMatch",
    "Identification",
    "Verification",
]

Box = tuple[float, float, float, float]
Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    box: Box  # x1, y1, x2, y2 in pixels
    probability: float  # MTCNN's face probability (O-net), in [0, 1]
    landmarks: tuple[Point, Point, Point, Point, Point]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def row(self) -> dict[str, Any]:
        x1, y1, x2, y2 = (round(v, 1) for v in self.box)
        return {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "probability": round(self.probability, 4)}


@dataclass(frozen=True)
class FaceDetections:
    """Every face found in one photo, largest first."""

    model_name: str
    device: str
    elapsed_ms: float
    faces: tuple[Face, ...]
    image_size: tuple[int, int]  # (width, height) of the photo the boxes refer to

    def __len__(self) -> int:
        return len(self.faces)

    def rows(self) -> list[dict[str, Any]]:
        return [{"face": i, **face.row()} for i, face in enumerate(self.faces)]


@dataclass(frozen=True)
class FaceEmbeddings:
    """Detected faces of one photo, their aligned crops and L2-normalised embeddings."""

    model_name: str  # the embedding model
    device: str
    elapsed_ms: float  # detection + alignment + embedding
    detections: FaceDetections
    crops: np.ndarray  # [N, S, S, 3] uint8 aligned crops (S = the model's input size)
    embeddings: np.ndarray  # [N, D] float32, unit length

    @property
    def faces(self) -> tuple[Face, ...]:
        return self.detections.faces

    def __len__(self) -> int:
        return len(self.detections.faces)

    def rows(self) -> list[dict[str, Any]]:
        return self.detections.rows()


@dataclass(frozen=True)
class Verification:
    """Are the chosen faces of two photos the same person?"""

    model_name: str
    device: str
    elapsed_ms: float
    similarity: float  # cosine similarity of the two embeddings, in [-1, 1]
    threshold: float  # same person when similarity >= threshold
    face_a: Face
    face_b: Face
    crop_a: np.ndarray  # [S, S, 3] uint8 aligned crops that were compared
    crop_b: np.ndarray

    @property
    def same(self) -> bool:
        return self.similarity >= self.threshold

    def rows(self) -> list[dict[str, Any]]:
        return [{"model": self.model_name, "similarity": round(self.similarity, 4),
                 "threshold": self.threshold, "same_person": self.same}]


@dataclass(frozen=True)
class FaceMatch:
    face: Face
    name: str | None  # nearest enrolled person, or None for "unknown"
    similarity: float  # cosine similarity to that person's closest enrolled face (-1 if gallery empty)
    nearest: str | None  # the nearest person even when below the threshold

    @property
    def label(self) -> str:
        return self.name if self.name is not None else "unknown"


@dataclass(frozen=True)
class Identification:
    """Every face of one photo labelled against a gallery."""

    model_name: str
    device: str
    elapsed_ms: float
    threshold: float
    matches: tuple[FaceMatch, ...]
    crops: np.ndarray  # [N, S, S, 3] uint8

    def rows(self) -> list[dict[str, Any]]:
        return [{"face": i, "name": m.label, "similarity": round(m.similarity, 4),
                 "nearest": m.nearest, **m.face.row()} for i, m in enumerate(self.matches)]


@dataclass(frozen=True)
class FaceClusters:
    """Faces of many photos grouped by person; cluster -1 never occurs (every face has a group)."""

    model_name: str
    device: str
    elapsed_ms: float
    threshold: float
    files: tuple[str, ...]  # per face: the file it came from
    faces: tuple[Face, ...]
    labels: np.ndarray  # [N] int, cluster id per face; clusters numbered by size, largest first
    crops: np.ndarray  # [N, S, S, 3] uint8
    embeddings: np.ndarray  # [N, D] float32, unit length
    errors: tuple[tuple[str, str], ...] = ()  # (file, message) for files that could not be read

    @property
    def n_clusters(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0

    def members(self, cluster: int) -> list[int]:
        return [i for i, label in enumerate(self.labels) if label == cluster]

    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {"file": f, "cluster": int(c), **face.row()}
            for f, c, face in zip(self.files, self.labels, self.faces, strict=True)
        ]
        rows += [{"file": f, "error": msg} for f, msg in self.errors]
        return rows
