"""Video anonymisation: every frame's faces blurred, a playable MP4 back, bad files refused."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import cnnapps
from cnnapps.faces.samples import face_sample_path
from cnnapps.faces.video import anonymise_video
from cnnapps.video import InvalidVideo, encode_mp4, iter_frames, video_info

# MTCNN runs many small ops: one intra-op thread is faster on 2 busy cores (conftest.py).
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _clip(n: int = 6) -> tuple[bytes, np.ndarray]:
    photo = np.asarray(Image.open(face_sample_path("john2")).resize((320, 190)))
    frames = [np.roll(photo, 2 * i, axis=1) for i in range(n)]  # a slow pan
    return encode_mp4(frames, fps=10), photo


def test_video_faces_are_blurred_in_every_frame():
    detector = cnnapps.load("mtcnn", device="cpu")
    clip, _ = _clip()
    seen = []
    out = anonymise_video(detector, clip, detect_every=2, progress=lambda d, t: seen.append((d, t)))
    assert out.frames == 6 and seen[-1][0] == 6 and out.detections >= 3  # detector ran on 3 frames
    info = video_info(out.mp4)
    assert (info.width, info.height, info.codec) == (320, 190, "h264")
    face = (slice(50, 130), slice(140, 230))  # john2's face, scaled to 320x190

    def detail(im: np.ndarray) -> float:
        # Blurring removes detail: the face's pixel-to-pixel differences drop sharply.
        return float(np.abs(np.diff(im[face].astype(float), axis=1)).mean())

    for before, after in zip(iter_frames(clip), iter_frames(out.mp4), strict=True):
        assert detail(after) < 0.6 * detail(before)


def test_bad_video_is_a_clear_error():
    detector = cnnapps.load("mtcnn", device="cpu")
    with pytest.raises(InvalidVideo):
        anonymise_video(detector, b"not a video at all")
