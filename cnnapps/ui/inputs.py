"""One file-input widget for every application, parameterised by what a task accepts.

A task says what it takes with an :class:`InputKind` (upload types, whether a camera makes sense,
its bundled samples); :func:`file_input` offers sample / upload / camera accordingly. Two things
Streamlit does not do by itself:

* Uploads survive switching the source: Streamlit forgets a file uploader's files when the
  widget is not drawn in a run (e.g. after picking "Sample" and coming back), so the files are
  kept in the session and offered again until the user clears or replaces them.
* The same file uploaded twice (under any name) is listed once: files are keyed by the sha256 of
  their bytes, which is also the cache key of every result computed from them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import streamlit as st

from cnnapps.samples import ASSETS_DIR, SAMPLES, Sample

__all__ = ["IMAGE", "IMAGE_TYPES", "InputFile", "InputKind", "file_input"]

# What the photo uploader offers; anything else is still checked by load_image, which says why.
IMAGE_TYPES = ("jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "gif")


@dataclass(frozen=True)
class InputFile:
    name: str
    data: bytes = field(repr=False)
    digest: str = ""  # sha256 hex of ``data``; filled in when empty

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", hashlib.sha256(self.data).hexdigest())


@dataclass(frozen=True)
class InputKind:
    """What a task accepts: the words for it, the upload types, camera or not, its samples."""

    label: str  # singular noun shown to the user, e.g. "photo", "video", "DICOM file"
    suffixes: tuple[str, ...]  # upload types without the dot; () accepts any file
    camera: bool = False
    samples: tuple[Sample, ...] = ()


IMAGE = InputKind("photo", IMAGE_TYPES, camera=True, samples=SAMPLES)

_SOURCE_LABELS = {
    "sample": ":material/photo_library: Sample",
    "upload": ":material/upload: Upload",
    "camera": ":material/photo_camera: Camera",
}


def _unique(files: list[InputFile]) -> tuple[list[InputFile], int]:
    seen: dict[str, InputFile] = {}
    for f in files:
        seen.setdefault(f.digest, f)
    return list(seen.values()), len(files) - len(seen)


def _uploads(kind: InputKind, *, key: str, multiple: bool, switched_back: bool) -> list[InputFile]:
    store_key = f"{key}__kept"
    raw = st.file_uploader(
        f"Upload {'one or more ' + kind.label + 's' if multiple else 'a ' + kind.label}",
        type=list(kind.suffixes) or None,
        accept_multiple_files=multiple,
        key=f"{key}_upload",
    )
    uploaded = [] if raw is None else raw if isinstance(raw, list) else [raw]
    if uploaded:
        files, duplicates = _unique([InputFile(u.name, u.getvalue()) for u in uploaded])
        st.session_state[store_key] = files
        if duplicates:
            st.caption(f"{duplicates} duplicate file(s) skipped: the same content was uploaded twice.")
        return files
    kept: list[InputFile] = st.session_state.get(store_key, [])
    if kept and not switched_back:
        # The uploader was on screen last run and is now empty: the user removed the files.
        st.session_state.pop(store_key, None)
        return []
    if kept:
        names = ", ".join(f.name for f in kept[:5]) + (" …" if len(kept) > 5 else "")
        st.caption(f"Still using your earlier upload: {names}")
        if st.button("Clear the earlier upload", key=f"{key}_clear", icon=":material/delete:"):
            st.session_state.pop(store_key, None)
            return []
    return kept


def file_input(kind: InputKind, *, key: str, multiple: bool = True) -> list[InputFile]:
    """The user's files for a task: a bundled sample, uploads (several) or a camera snapshot."""
    sources = [s for s, ok in (("sample", bool(kind.samples)), ("upload", True),
                               ("camera", kind.camera)) if ok]
    source = sources[0]
    if len(sources) > 1:
        source = st.segmented_control(
            f"{kind.label.capitalize()} source", sources, format_func=_SOURCE_LABELS.__getitem__,
            default=sources[0], key=f"{key}_source", label_visibility="collapsed",
        ) or sources[0]
    last_key = f"{key}__last_source"
    switched_back = st.session_state.get(last_key) != source
    st.session_state[last_key] = source
    if source == "upload":
        return _uploads(kind, key=key, multiple=multiple, switched_back=switched_back)
    if source == "camera":
        shot = st.camera_input(f"Take a {kind.label}", key=f"{key}_camera")
        return [InputFile("camera.jpg", shot.getvalue())] if shot is not None else []
    by_caption = {s.caption: s for s in kind.samples}
    caption = st.selectbox(f"Sample {kind.label}", list(by_caption), key=f"{key}_sample")
    sample = by_caption[caption or next(iter(by_caption))]
    return [InputFile(sample.filename, (ASSETS_DIR / sample.filename).read_bytes())]
