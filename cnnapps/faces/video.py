"""Anonymise a video: blur or pixelate every face in every frame, re-encode as a browser MP4.

Detection is the expensive part (MTCNN ~0.1-0.5 s a frame on CPU), so it runs on every
``detect_every``-th frame, on a copy no larger than ``max_side`` pixels, and the faces found are
reused for the frames in between; the blurred region is the box grown by 20 % on each side
(:data:`cnnapps.faces.anonymise.MARGIN`), which covers the motion of a few frames at 25-30 fps.
Decoding and encoding: :mod:`cnnapps.video` (PyAV, H.264 in MP4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnnapps.faces.anonymise import Method, anonymise_array
from cnnapps.faces.detect import DetectOptions, run_mtcnn

if TYPE_CHECKING:
    from cnnapps.loaded import LoadedModel

__all__ = ["AnonymisedVideo", "anonymise_video"]


@dataclass(frozen=True)
class AnonymisedVideo:
    mp4: bytes  # H.264 MP4
    frames: int  # frames written
    total_frames: int  # frames in the source (container's count; 0 if unknown)
    detections: int  # face detections over the frames where the detector ran
    fps: float

    @property
    def truncated(self) -> bool:
        return self.total_frames > self.frames


def anonymise_video(
    detector: LoadedModel,
    src: bytes | Path,
    *,
    method: Method = "blur",
    strength: int = 6,
    detect_every: int = 2,
    max_frames: int | None = 900,
    max_side: int = 720,
    progress: Callable[[int, int | None], None] | None = None,
) -> AnonymisedVideo:
    """Blur/pixelate faces in ``src``; at most ``max_frames`` frames (30 s at 30 fps by default).

    ``progress(done_frames, total_frames or None)`` is called after every frame.
    Raises :class:`cnnapps.video.InvalidVideo` for files that are not a readable video.
    """
    from cnnapps.video import encode_mp4, iter_frames, video_info

    info = video_info(src)
    total = min(info.n_frames, max_frames) if info.n_frames and max_frames else (info.n_frames or max_frames)
    options = DetectOptions(min_probability=0.8, max_faces=100, max_side=max_side)
    state = {"frames": 0, "detections": 0}

    def frames():
        faces = []
        for i, frame in enumerate(iter_frames(src, max_frames=max_frames)):
            if i % max(1, detect_every) == 0:
                with detector.shared():
                    faces = run_mtcnn(detector.module, frame, options)
                state["detections"] += len(faces)
            yield anonymise_array(frame, faces, method=method, strength=strength)
            state["frames"] = i + 1
            if progress is not None:
                progress(i + 1, total or None)

    mp4 = encode_mp4(frames(), fps=info.fps or 25.0)
    return AnonymisedVideo(mp4, state["frames"], info.n_frames, state["detections"], info.fps)
