"""Pictures of face results: boxes, landmarks and labels drawn on the photo (no Streamlit)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnnapps.results.faces import Face

__all__ = ["PALETTE", "draw_faces", "strip"]

# Colour-blind-safe (Okabe-Ito), cycled per label.
PALETTE = ((0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233),
           (213, 94, 0), (240, 228, 66))


def draw_faces(
    rgb: np.ndarray,
    faces: Sequence[Face],
    *,
    labels: Sequence[str] | None = None,
    colours: Sequence[tuple[int, int, int]] | None = None,
    landmarks: bool = True,
) -> Image.Image:
    """The photo with a box per face (line width ~ photo size), its 5 landmarks and a label."""
    image = Image.fromarray(rgb).convert("RGB")
    draw = ImageDraw.Draw(image)
    scale = max(image.size) / 800
    width = max(2, round(3 * scale))
    font = ImageFont.load_default(size=max(12, round(18 * scale)))
    for i, face in enumerate(faces):
        colour = tuple(colours[i]) if colours else PALETTE[0]
        draw.rectangle(face.box, outline=colour, width=width)
        if landmarks:
            r = max(2, round(2.5 * scale))
            for x, y in face.landmarks:
                draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255), outline=colour)
        text = labels[i] if labels is not None else f"{i + 1}: {face.probability:.2f}"
        x1, y1 = face.box[0], face.box[1]
        left, top, right, bottom = draw.textbbox((x1, y1), text, font=font)
        top_y = y1 - (bottom - top) - 2 * width if y1 - (bottom - top) - 2 * width > 0 else face.box[3]
        draw.rectangle((x1, top_y, x1 + (right - left) + 2 * width, top_y + (bottom - top) + 2 * width),
                       fill=colour)
        draw.text((x1 + width, top_y + width - (top - y1)), text, fill=(255, 255, 255), font=font)
    return image


def strip(crops: np.ndarray, *, height: int = 112) -> Image.Image:
    """Crops ``[N, S, S, 3]`` side by side in one image (for CSV-less previews and tests)."""
    if len(crops) == 0:
        return Image.new("RGB", (height, height), (240, 240, 240))
    tiles = [Image.fromarray(c).resize((height, height)) for c in crops]
    out = Image.new("RGB", (height * len(tiles), height))
    for i, tile in enumerate(tiles):
        out.paste(tile, (i * height, 0))
    return out
