"""Draw detections on images: one stable colour per class, labels readable at any image size.

Pure PIL/numpy (no Streamlit). Line width and font size scale with the image (about 0.4 % and
3.5 % of the mean side), so a 300 px thumbnail and a 4000 px photo both read well.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnnapps.results.detection import Detections

__all__ = ["PALETTE", "class_colour", "draw_boxes", "draw_detections", "draw_yolo_grid"]

# 20 well-separated colours (Tableau 20 reordered so that neighbours differ): COCO id -> colour.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
    (196, 156, 148), (247, 182, 210), (199, 199, 199), (219, 219, 141), (158, 218, 229),
)


def class_colour(class_id: int) -> tuple[int, int, int]:
    """The colour of a COCO class id; the same in every image, model and frame."""
    # multiply by a number coprime to 20 so consecutive ids (person 1, bicycle 2, car 3) differ a lot
    return PALETTE[(int(class_id) * 7) % len(PALETTE)]


@cache
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)  # Pillow >= 10.1 ships a scalable default font


def _text_colour(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    # ITU-R BT.601 luma: dark text on light boxes, white text on dark ones
    return (0, 0, 0) if 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 150 else (255, 255, 255)


def draw_boxes(
    image: Image.Image | np.ndarray,
    boxes: np.ndarray,
    texts: Sequence[str],
    colours: Sequence[tuple[int, int, int]],
    *,
    dashed: Sequence[bool] | None = None,
    width_scale: float = 1.0,
) -> Image.Image:
    """Boxes [N, 4] xyxy (pixels) with a filled label above each (inside when at the top edge)."""
    im = Image.fromarray(image) if isinstance(image, np.ndarray) else image.convert("RGB")
    im = im.copy()
    w, h = im.size
    mean_side = (w + h) / 2
    lw = max(2, round(mean_side * 0.004 * width_scale))
    font = _font(max(12, round(mean_side * 0.035)))
    d = ImageDraw.Draw(im)
    for k, (box, text, colour) in enumerate(zip(boxes, texts, colours, strict=True)):
        x1, y1, x2, y2 = (float(v) for v in box)
        x1, x2 = max(0.0, min(x1, w - 1)), max(0.0, min(x2, w - 1))
        y1, y2 = max(0.0, min(y1, h - 1)), max(0.0, min(y2, h - 1))
        if dashed is not None and dashed[k]:
            _dashed_rect(d, (x1, y1, x2, y2), colour, lw)
        else:
            d.rectangle((x1, y1, x2, y2), outline=colour, width=lw)
        if not text:
            continue
        left, t, r, b = d.textbbox((0, 0), text, font=font)
        tw, th = r - left + 2 * lw + 2, b - t + 2 * lw + 2
        ty = y1 - th if y1 - th >= 0 else y1  # above the box, or inside it at the top edge
        tx = min(x1, max(0.0, w - tw))
        d.rectangle((tx, ty, tx + tw, ty + th), fill=colour)
        d.text((tx + lw + 1 - left, ty + lw + 1 - t), text, fill=_text_colour(colour), font=font)
    return im


def _dashed_rect(d: ImageDraw.ImageDraw, box: tuple[float, ...], colour: tuple[int, int, int], lw: int) -> None:
    x1, y1, x2, y2 = box
    dash = max(4, lw * 4)
    for a, b_, horizontal, fixed in ((x1, x2, True, y1), (x1, x2, True, y2), (y1, y2, False, x1), (y1, y2, False, x2)):
        pos = a
        while pos < b_:
            end = min(pos + dash, b_)
            if horizontal:
                d.line((pos, fixed, end, fixed), fill=colour, width=lw)
            else:
                d.line((fixed, pos, fixed, end), fill=colour, width=lw)
            pos += 2 * dash


def draw_detections(
    image: Image.Image | np.ndarray,
    det: Detections,
    *,
    highlight: int | None = None,
    masks: bool = True,
    mask_alpha: float = 0.45,
) -> Image.Image:
    """The image with every detection drawn ("dog 0.96"); instance masks tinted when present.

    highlight: index of one detection to emphasise (others drawn thinner and without labels).
    """
    im = Image.fromarray(image) if isinstance(image, np.ndarray) else image.convert("RGB")
    colours = [class_colour(c) for c in det.class_ids]
    if masks and det.masks is not None and len(det):
        arr = np.asarray(im).astype(np.float32)
        for m, colour in zip(det.masks, colours, strict=True):
            if m.shape == arr.shape[:2]:
                arr[m] = arr[m] * (1 - mask_alpha) + np.array(colour, np.float32) * mask_alpha
        im = Image.fromarray(arr.astype(np.uint8))
    texts = [f"{label} {score:.2f}" for label, score in zip(det.labels, det.scores, strict=True)]
    if highlight is None:
        return draw_boxes(im, det.boxes, texts, colours)
    others = [i for i in range(len(det)) if i != highlight]
    im = draw_boxes(im, det.boxes[others], ["" for _ in others], [colours[i] for i in others], width_scale=0.6)
    return draw_boxes(im, det.boxes[[highlight]], [texts[highlight]], [colours[highlight]], width_scale=1.6)


def draw_yolo_grid(
    image: Image.Image | np.ndarray,
    det: Detections,
    *,
    head: int,
    chosen: int | None = None,
    alpha: float = 0.45,
) -> Image.Image:
    """How a one-stage YOLO head sees the photo (needs ``det.trace``, Yolo-Fastest only).

    The photo is divided into the head's grid (10x10 cells for the stride-32 head, 20x20 for the
    stride-16 head at 320 px); each cell is tinted by its objectness (the highest of its 3 anchors:
    "is there an object centred here?"). With ``chosen`` (index of a detection): its cell is
    outlined, the anchor box that produced it is drawn at the cell centre (dotted white), its raw
    box before NMS (solid) and every box NMS removed in its favour (dashed).
    """
    from cnnapps.viz import overlay_heatmap

    tr = det.trace
    if tr is None:
        raise ValueError("this detection has no YOLO trace (only the darknet models have grids)")
    im = Image.fromarray(image) if isinstance(image, np.ndarray) else image.convert("RGB")
    w, h = im.size
    stride, gh, gw, anchors = tr.heads[head]
    obj = tr.objectness[head].max(axis=0)  # [gh, gw]
    # nearest-neighbour upsampling keeps the cells visible as squares
    heat = np.asarray(Image.fromarray(obj.astype(np.float32), mode="F").resize((w, h), Image.Resampling.NEAREST))
    im = overlay_heatmap(im, heat, alpha=alpha)
    d = ImageDraw.Draw(im)
    lw = max(1, round((w + h) / 2 * 0.0015))
    for gx in range(1, gw):
        d.line((gx * w / gw, 0, gx * w / gw, h), fill=(255, 255, 255), width=lw)
    for gy in range(1, gh):
        d.line((0, gy * h / gh, w, gy * h / gh), fill=(255, 255, 255), width=lw)
    if chosen is None:
        return im
    cand = int(tr.kept[chosen])
    c_head, anchor, cy, cx = (int(v) for v in tr.cand_cells[cand])
    colour = class_colour(int(det.class_ids[chosen]))
    if c_head == head:
        cell = (cx * w / gw, cy * h / gh, (cx + 1) * w / gw, (cy + 1) * h / gh)
        d.rectangle(cell, outline=(255, 255, 0), width=3 * lw)
        aw, ah = anchors[anchor]
        sx, sy = w / tr.input_size[1], h / tr.input_size[0]
        mx, my = (cell[0] + cell[2]) / 2, (cell[1] + cell[3]) / 2
        _dashed_rect(d, (mx - aw * sx / 2, my - ah * sy / 2, mx + aw * sx / 2, my + ah * sy / 2),
                     (255, 255, 255), lw)
    removed = np.nonzero(tr.suppressed_by == chosen)[0]
    boxes = np.concatenate([tr.candidates[removed], tr.candidates[[cand]]])
    texts = ["" for _ in removed] + [f"{det.labels[chosen]} {det.scores[chosen]:.2f} (raw)"]
    return draw_boxes(im, boxes, texts, [colour] * len(boxes), dashed=[True] * len(removed) + [False])
