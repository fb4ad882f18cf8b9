"""FaceGallery: enrolled people as a value (names + unit embeddings), with pure enroll / match.

A gallery never changes in place: :func:`enroll` and :func:`remove` return a new one, so a page
can keep it in ``st.session_state`` and a test can compare before and after. Matching takes, per
person, the highest cosine similarity over that person's enrolled faces (nearest neighbour; a
mean template would blur a person enrolled from very different photos).

Export format (``to_bytes`` / ``from_bytes``): UTF-8 JSON, ``{"format": "cnnapps-face-gallery",
"version": 1, "model": ..., "dim": D, "faces": [{"name", "embedding": base64 float32 little-endian,
"crop_png": base64 | null}]}``. Plain data only: importing never unpickles anything.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from cnnapps.faces.errors import InvalidGallery

__all__ = ["MAX_NAME_LENGTH", "FaceGallery", "enroll", "match", "remove"]

FORMAT = "cnnapps-face-gallery"
VERSION = 1
MAX_NAME_LENGTH = 100
MAX_IMPORT_BYTES = 50_000_000  # a gallery of ~20k faces with crops; beyond that the file is suspect


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise InvalidGallery("A person's name cannot be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidGallery(f"A person's name can have at most {MAX_NAME_LENGTH} characters.")
    return name


@dataclass(frozen=True, eq=False)
class FaceGallery:
    model_name: str  # embeddings of different models are not comparable
    names: tuple[str, ...] = ()  # per enrolled face
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    crops: tuple[bytes | None, ...] = ()  # per face: PNG of the aligned crop, or None (not kept)

    def __post_init__(self) -> None:
        emb = np.asarray(self.embeddings, dtype=np.float32)
        if emb.size == 0:
            emb = emb.reshape(0, emb.shape[1] if emb.ndim == 2 else 0)
        emb.setflags(write=False)
        object.__setattr__(self, "embeddings", emb)
        if not self.crops:
            object.__setattr__(self, "crops", (None,) * len(self.names))
        if emb.ndim != 2 or len(emb) != len(self.names) or len(self.crops) != len(self.names):
            raise InvalidGallery("The gallery is inconsistent (names, embeddings and crops differ).")

    def __len__(self) -> int:
        return len(self.names)

    @property
    def people(self) -> tuple[str, ...]:
        """Enrolled people, in order of first enrolment."""
        return tuple(dict.fromkeys(self.names))

    def count(self, name: str) -> int:
        return self.names.count(name)

    def to_bytes(self) -> bytes:
        faces = [
            {"name": n, "embedding": base64.b64encode(e.astype("<f4").tobytes()).decode("ascii"),
             "crop_png": base64.b64encode(c).decode("ascii") if c else None}
            for n, e, c in zip(self.names, self.embeddings, self.crops, strict=True)
        ]
        doc = {"format": FORMAT, "version": VERSION, "model": self.model_name,
               "dim": int(self.embeddings.shape[1]), "faces": faces}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, *, model_name: str | None = None) -> FaceGallery:
        """Parse an exported gallery; with ``model_name``, refuse one made by another model."""
        bad = "This file is not a face gallery exported by cnnapps, or it is damaged."
        if len(data) > MAX_IMPORT_BYTES:
            raise InvalidGallery(f"The gallery file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB.")
        try:
            doc = json.loads(data.decode("utf-8"))
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise InvalidGallery(bad)
            if doc.get("version") != VERSION:
                raise InvalidGallery(f"Gallery file version {doc.get('version')!r} is not supported.")
            dim = int(doc["dim"])
            names, rows, crops = [], [], []
            for face in doc["faces"]:
                names.append(_clean_name(face["name"]))
                vec = np.frombuffer(base64.b64decode(face["embedding"], validate=True), dtype="<f4")
                if vec.shape != (dim,) or not np.all(np.isfinite(vec)):
                    raise InvalidGallery(bad)
                rows.append(vec)
                crop = face.get("crop_png")
                crops.append(_check_png(base64.b64decode(crop, validate=True)) if crop else None)
            model = str(doc["model"])
        except InvalidGallery:
            raise
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError,
                binascii.Error) as err:
            raise InvalidGallery(bad) from err
        if model_name is not None and model != model_name:
            raise InvalidGallery(
                f"This gallery was made with the embedding model {model!r}; the page uses "
                f"{model_name!r}. Embeddings of different models cannot be compared: choose "
                f"{model!r} or enrol the people again."
            )
        emb = np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        if len(emb) and (norms < 1e-6).any():
            raise InvalidGallery(bad)
        return cls(model, tuple(names), (emb / np.maximum(norms, 1e-12)).astype(np.float32), tuple(crops))


def _check_png(data: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(data), formats=("PNG",)) as im:
            if im.size[0] * im.size[1] > 512 * 512:
                raise ValueError("crop too large")
            im.load()
    except (OSError, SyntaxError, ValueError) as err:
        raise InvalidGallery("A face crop in the gallery file is damaged.") from err
    return data


def crop_png(crop: np.ndarray) -> bytes:
    """PNG bytes of one ``[S, S, 3]`` uint8 crop (for galleries that keep crops)."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(crop, dtype=np.uint8)).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def enroll(
    gallery: FaceGallery,
    name: str,
    embeddings: np.ndarray,
    *,
    crops: Sequence[np.ndarray] | None = None,
) -> FaceGallery:
    """A new gallery with ``embeddings`` (``[K, D]`` or ``[D]``) added under ``name``.

    ``crops`` (K aligned ``[S, S, 3]`` uint8 crops) are kept as PNGs only when given: galleries
    store embeddings and names unless the user opts in to keeping pictures.
    """
    name = _clean_name(name)
    emb = np.asarray(embeddings, dtype=np.float32)
    emb = emb.reshape(1, -1) if emb.ndim == 1 else emb
    if emb.ndim != 2 or len(emb) == 0:
        raise InvalidGallery("Nothing to enrol: no face embedding was given.")
    if len(gallery) and emb.shape[1] != gallery.embeddings.shape[1]:
        raise InvalidGallery("These embeddings come from a different model than the gallery's.")
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    new_crops: tuple[bytes | None, ...]
    if crops is None:
        new_crops = (None,) * len(emb)
    else:
        if len(crops) != len(emb):
            raise ValueError("one crop per embedding")
        new_crops = tuple(crop_png(c) for c in crops)
    base = gallery.embeddings if len(gallery) else np.zeros((0, emb.shape[1]), dtype=np.float32)
    return FaceGallery(
        gallery.model_name,
        gallery.names + (name,) * len(emb),
        np.concatenate([base, emb]),
        gallery.crops + new_crops,
    )


def remove(gallery: FaceGallery, name: str) -> FaceGallery:
    """A new gallery without any face of ``name``."""
    keep = [i for i, n in enumerate(gallery.names) if n != name]
    return FaceGallery(
        gallery.model_name,
        tuple(gallery.names[i] for i in keep),
        gallery.embeddings[keep] if keep else gallery.embeddings[:0],
        tuple(gallery.crops[i] for i in keep),
    )


def match(
    gallery: FaceGallery, embeddings: np.ndarray, *, threshold: float
) -> list[tuple[str | None, float, str | None]]:
    """For each query (``[N, D]`` unit embeddings): ``(name or None, similarity, nearest name)``.

    ``similarity`` is the highest cosine to any enrolled face of the nearest person; the name is
    given only when it reaches ``threshold`` (otherwise the face is "unknown"). With an empty
    gallery every face is unknown with similarity -1.
    """
    q = np.asarray(embeddings, dtype=np.float32).reshape(len(embeddings), -1)
    if len(gallery) == 0:
        return [(None, -1.0, None) for _ in range(len(q))]
    if q.shape[1] != gallery.embeddings.shape[1]:
        raise InvalidGallery("The gallery was made with a different embedding model.")
    sims = q @ gallery.embeddings.T  # [N, M] cosine (both unit length)
    out = []
    for row in sims:
        best = int(np.argmax(row))
        nearest, sim = gallery.names[best], float(row[best])
        out.append((nearest if sim >= threshold else None, sim, nearest))
    return out
