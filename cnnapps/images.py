"""Decode an uploaded or bundled image into one predictable form: an 8-bit RGB PIL image.

Every task page goes through :func:`load_image`, so the models never see odd modes (16-bit, palette,
alpha, CMYK...) and the user never sees a raw PIL traceback for a bad file.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnapps.errors import InvalidImage

__all__ = ["MAX_PIXELS", "SUPPORTED_FORMATS", "ImageSource", "as_image", "load_image"]

# 40 MP is above every common phone/DSLR photo (12-24 MP; 48 MP sensors save 12 MP by default) yet
# bounds one upload to ~120 MB as RGB uint8 and ~480 MB as the float32 copies the models make, which a
# shared Streamlit host can afford. PIL's own bomb guard (89 MP warning, 179 MP error) is far looser.
MAX_PIXELS = 40_000_000

# Only these decoders are tried: fewer parsers exposed to uploads, and none that shells out (EPS runs
# Ghostscript). "JPEG" also covers the MPO camera JPEGs (same decoder).
SUPPORTED_FORMATS = ("JPEG", "PNG", "BMP", "WEBP", "TIFF", "GIF")

_NOT_AN_IMAGE = "This file is not an image we can read (supported: JPEG, PNG, BMP, WebP, TIFF, GIF)."
_DAMAGED = (
    "The image file is damaged or incomplete (perhaps cut off during upload), so it cannot be decoded."
)
# What Pillow's parsers raise on malformed input (it has no single exception type for that).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})
_UINT16_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})


def load_image(source: bytes | str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode ``source`` (the file's bytes, or a path) into a fully loaded RGB image.

    The result has mode ``"RGB"`` (3 x uint8 per pixel, i.e. an ``(H, W, 3)`` uint8 array via
    ``np.asarray``) and size ``(W, H)`` *after* the EXIF orientation is applied (a portrait phone
    photo comes back portrait). Modes are mapped as follows:

    - ``1``, ``L``, ``P``, ``CMYK``, ``YCbCr``, ``RGBX``...: Pillow's standard conversion to RGB;
    - with alpha (``LA``, ``PA``, ``RGBA``, ``P``/``L``/``RGB`` with a transparent colour):
      composited on white, so transparent areas are white, not black;
    - 16-bit unsigned (``I;16``, ``I;16B``...): ``round(v / 257)``, i.e. 0..65535 -> 0..255;
    - 32-bit ``I`` and float ``F``: stretched from the image's own min..max to 0..255 (there is no
      fixed range to use); a constant image keeps its value, clipped to 0..255.

    Animated GIF/WebP/PNG and multi-page TIFF give their first frame.

    Args:
        source: the encoded file as bytes (e.g. an upload), or a filesystem path.
        max_pixels: refuse images with more than this many pixels (width * height), checked from the
            header before anything is decoded. PIL's own bomb guard still applies above it.

    Raises:
        InvalidImage: with a message for the user, if the file is missing, empty, not a supported
            image, damaged or truncated, or too large. The original error is chained.
    """
    if max_pixels <= 0:
        raise ValueError(f"max_pixels must be positive, got {max_pixels}")
    fp = _open(source)
    with fp:
        if fp.seek(0, io.SEEK_END) == 0:
            raise InvalidImage("The file is empty.")
        fp.seek(0)
        try:
            # Only here, not globally: PIL warns (89 MP) before it errors (179 MP); both mean "too big".
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(fp, formats=SUPPORTED_FORMATS) as im:
                    _check_pixels(im.size, max_pixels)
                    im.load()  # decode now, so truncation errors surface here and not in a model
                    upright = ImageOps.exif_transpose(im)
        except InvalidImage:
            raise
        except UnidentifiedImageError as err:
            raise InvalidImage(_NOT_AN_IMAGE) from err
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            pil_limit = Image.MAX_IMAGE_PIXELS or 0
            raise InvalidImage(
                f"The image has more than {_megapixels(pil_limit)} megapixels; the limit is "
                f"{_megapixels(max_pixels)}. Please upload a smaller image."
            ) from err
        except _DECODE_ERRORS as err:
            raise InvalidImage(_DAMAGED) from err
    try:
        return _to_rgb(upright)
    except ValueError as err:  # a mode Pillow can read but not convert (e.g. exotic TIFF)
        raise InvalidImage(f"Images in colour mode {upright.mode!r} are not supported.") from err


# What the public API accepts as an image: encoded bytes, a path, or a decoded PIL image.
ImageSource = bytes | str | os.PathLike[str] | Image.Image


def as_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Like :func:`load_image`, but also takes a PIL image (size-checked, converted to RGB)."""
    if isinstance(source, Image.Image):
        _check_pixels(source.size, max_pixels)
        try:
            return _to_rgb(source)
        except ValueError as err:
            raise InvalidImage(f"Images in colour mode {source.mode!r} are not supported.") from err
    return load_image(source, max_pixels=max_pixels)


def _open(source: bytes | str | os.PathLike[str]) -> IO[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source)
    path = Path(source)
    try:
        return path.open("rb")
    except FileNotFoundError as err:
        raise InvalidImage(f"There is no image file at {path}.") from err
    except OSError as err:  # a directory, no permission...
        raise InvalidImage(f"Cannot read the image file {path}: {err.strerror or err}.") from err


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise InvalidImage(
            f"The image is {width}×{height} = {_megapixels(width * height)} megapixels; the limit is "
            f"{_megapixels(max_pixels)}. Please upload a smaller image."
        )


def _megapixels(pixels: int) -> str:
    # "48.0", "40", "0.009999": one decimal for photo sizes, exact for round or tiny limits.
    return f"{pixels / 1e6:.1f}" if pixels >= 100_000 and pixels % 1_000_000 else f"{pixels / 1e6:g}"


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in _UINT16_MODES:
        return _gray_to_rgb(np.asarray(im, dtype=np.float64) / 257.0)
    if im.mode in ("I", "F"):
        return _gray_to_rgb(_stretch(np.asarray(im, dtype=np.float64)))
    if im.mode in _ALPHA_MODES or "transparency" in im.info:
        rgba = im.convert("RGBA")  # also resolves palette / tRNS transparency
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def _stretch(values: np.ndarray) -> np.ndarray:
    """Map the finite range of ``values`` onto 0..255 (NaN/inf become 0)."""
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros_like(values)
    lo, hi = float(values[finite].min()), float(values[finite].max())
    out = (values - lo) * (255.0 / (hi - lo)) if hi > lo else np.full_like(values, lo)
    return np.where(finite, out, 0.0)


def _gray_to_rgb(values: np.ndarray) -> Image.Image:
    gray = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(np.repeat(gray[:, :, None], 3, axis=2))  # (H, W, 3) uint8 -> "RGB"
