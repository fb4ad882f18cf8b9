"""The bundled face photos (``cnnapps/assets/faces/``; provenance and licence in its README.md)."""

from __future__ import annotations

from pathlib import Path

from cnnapps.samples import ASSETS_DIR, Sample

__all__ = ["FACE_SAMPLES", "IDENTITIES", "face_sample_path"]

_CREDIT = "ageitgey/face_recognition examples (MIT)"

FACE_SAMPLES: tuple[Sample, ...] = (
    Sample("obama1", "faces/obama1.jpg", "Barack Obama at a press briefing", _CREDIT),
    Sample("obama2", "faces/obama2.jpg", "Barack Obama speaking", _CREDIT),
    Sample("biden2", "faces/biden2.jpg", "Joe Biden, close-up", _CREDIT),
    Sample("two_people", "faces/two_people.jpg", "Obama (left) and Biden (right)", _CREDIT),
    Sample("john1", "faces/john1.jpg", "Kit Harington", _CREDIT),
    Sample("john2", "faces/john2.jpg", "Kit Harington", _CREDIT),
    Sample("rose_leslie_img1", "faces/rose_leslie_img1.jpg", "Rose Leslie", _CREDIT),
    Sample("rose_leslie_img2", "faces/rose_leslie_img2.jpg", "Rose Leslie", _CREDIT),
    Sample("kit_with_rose", "faces/kit_with_rose.jpg", "Rose Leslie (left) and Kit Harington (right)",
           _CREDIT),
)

# Who is in each photo, faces listed left to right (for tests, calibration and the benchmark).
IDENTITIES: dict[str, tuple[str, ...]] = {
    "obama1": ("obama",),
    "obama2": ("obama",),
    "biden2": ("biden",),
    "two_people": ("obama", "biden"),
    "john1": ("kit_harington",),
    "john2": ("kit_harington",),
    "rose_leslie_img1": ("rose_leslie",),
    "rose_leslie_img2": ("rose_leslie",),
    "kit_with_rose": ("rose_leslie", "kit_harington"),
}


def face_sample_path(name: str) -> Path:
    for sample in FACE_SAMPLES:
        if sample.name == name:
            return ASSETS_DIR / sample.filename
    raise KeyError(f"no bundled face photo named {name!r}")
