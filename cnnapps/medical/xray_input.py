"""Bringing a full-size radiograph to the chest X-ray CNN's input, the way MedMNIST made its images.

MedMNIST v2 (Yang et al. 2023, "PneumoniaMNIST"): "The source images are gray-scale, and their
sizes are (384-2,916) x (127-2,713). We center-crop the images with a window size of length of the
short edge and resize them into 1 x 28 x 28." The paper does not name the interpolation; we use
Pillow's bicubic filter, which widens its support when shrinking (so a 2,000 px radiograph is
averaged, not sampled). ``tests/test_xray_input.py`` pins every step.

Sources: a PIL image (JPEG/PNG; converted to 8-bit luminance, ITU-R 601-2) or a
:class:`~cnnapps.medical.dicom.DicomImage` (rendered through the DICOM display pipeline with the
file's own window, MONOCHROME1 inverted, so bone is white as in the JPEGs PneumoniaMNIST came from).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnapps.medical.dicom import DicomImage, render

__all__ = ["INPUT_SIZE", "PreparedRadiograph", "centre_crop_square", "prepare_radiograph"]

INPUT_SIZE = 28  # PneumoniaMNIST's 28 x 28
CHEST_MODALITIES = ("CR", "DX")  # computed / digital radiography (PS3.3 C.7.3.1.1.1)
COLOUR_SPREAD = 12.0  # mean |R-G|+|G-B|+|B-R| (of 765) above which a picture is "in colour"


@dataclass(frozen=True, eq=False)
class PreparedRadiograph:
    display: np.ndarray  # uint8 [H, W] full-size grayscale as shown (before cropping)
    crop_box: tuple[int, int, int, int]  # (left, top, right, bottom) of the centre square
    model_input: np.ndarray  # float32 [28, 28] in [0, 1]
    warnings: tuple[str, ...]  # reasons to doubt that this is a chest radiograph (metadata, colour)


def centre_crop_square(width: int, height: int) -> tuple[int, int, int, int]:
    """The centred square with the short edge as its side: (left, top, right, bottom)."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def _to_model_input(gray: Image.Image) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    box = centre_crop_square(*gray.size)
    small = gray.crop(box).resize((INPUT_SIZE, INPUT_SIZE), Image.BICUBIC)
    return np.asarray(small, dtype=np.float32) / 255.0, box


def prepare_radiograph(src: Image.Image | DicomImage, *, frame: int = 0) -> PreparedRadiograph:
    warnings: list[str] = []
    if isinstance(src, DicomImage):
        if src.modality and src.modality not in CHEST_MODALITIES:
            warnings.append(f"The DICOM modality is {src.modality}, not a radiograph (CR or DX).")
        part = src.body_part.upper()
        if part and "CHEST" not in part and "THORAX" not in part and "LUNG" not in part:
            warnings.append(f"The DICOM body part is {src.body_part}, not the chest.")
        if src.is_color:
            warnings.append(f"The DICOM image is in colour ({src.photometric}); radiographs are grayscale.")
        shown = render(src, frame=frame)
        gray = Image.fromarray(shown).convert("L") if shown.ndim == 3 else Image.fromarray(shown)
    else:
        img = src
        if img.mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV"):
            rgb = np.asarray(img.convert("RGB"), dtype=np.int16)
            spread = (np.abs(rgb[..., 0] - rgb[..., 1]) + np.abs(rgb[..., 1] - rgb[..., 2])
                      + np.abs(rgb[..., 2] - rgb[..., 0])).mean()
            if spread > COLOUR_SPREAD:
                warnings.append("The picture is in colour; chest radiographs are grayscale.")
        if img.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(img, dtype=np.float64)
            lo, hi = float(arr.min()), float(arr.max())
            gray = Image.fromarray(((arr - lo) * (255.0 / max(hi - lo, 1.0))).astype(np.uint8))
        else:
            gray = img.convert("L")
    model_input, box = _to_model_input(gray)
    return PreparedRadiograph(display=np.asarray(gray), crop_box=box, model_input=model_input,
                              warnings=tuple(warnings))
