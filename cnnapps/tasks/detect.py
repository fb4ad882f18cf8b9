"""Object detection: one image -> :class:`Detections` (boxes in original pixels), and videos.

Two families of models, told apart by ``spec.options["family"]``:

- ``"darknet"`` (Yolo-Fastest, bundled): the whole image resized to the input size (no
  letterbox, as the reference), decoded YOLO rows, score = objectness x class probability,
  per-class NMS (``torchvision.ops.batched_nms``). A :class:`YoloTrace` records the grid cells,
  anchors, raw boxes and what NMS removed, for the teaching overlay.
- ``"torchvision"`` (Faster R-CNN, RetinaNet, SSDlite, FCOS, Mask R-CNN): the model's own
  transform resizes and runs its own NMS; we then apply ``conf``, the class filter, a second
  per-class NMS at ``iou`` (it only removes more when ``iou`` is below the model's built-in
  threshold, 0.5 for most; the shared module is never modified) and ``max_det``.

Huge photos are shrunk (INTER_AREA) to at most :data:`MAX_SIDE` px before inference; boxes are
mapped back to the original pixels.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from PIL import Image
from torchvision.ops import batched_nms, box_iou

from cnnapps.coco import coco_categories
from cnnapps.errors import CnnappsError
from cnnapps.models.yolo_fastest import candidates, preprocess
from cnnapps.results.detection import Detections, YoloTrace

__all__ = [
    "MAX_SIDE", "VideoDetections", "detect", "detect_video", "detection_cam", "infer", "refine",
    "resolve_classes",
]

# Longest side fed to a detector. Larger photos only cost time: Yolo-Fastest sees 320 px and
# torchvision's transforms shrink to at most 1333 px anyway.
MAX_SIDE = 2048


def _sync(device: torch.device) -> None:
    if device.type == "cuda":  # CUDA is asynchronous: time the work, not the launch
        torch.cuda.synchronize(device)


def resolve_classes(classes: Collection[str] | None) -> frozenset[int] | None:
    """Class names (COCO names, case-insensitive; darknet's "motorbike" etc. accepted) -> COCO ids.

    Raises CnnappsError naming any class that COCO does not have.
    """
    if classes is None:
        return None
    names = {n.lower(): i for i, n in enumerate(coco_categories()) if n not in ("__background__", "N/A")}
    aliases = {"motorbike": "motorcycle", "aeroplane": "airplane", "sofa": "couch",
               "pottedplant": "potted plant", "diningtable": "dining table", "tvmonitor": "tv"}
    ids, unknown = set(), []
    for raw in classes:
        key = aliases.get(raw.strip().lower(), raw.strip().lower())
        if not key:
            continue
        if key in names:
            ids.add(names[key])
        else:
            unknown.append(raw)
    if unknown:
        raise CnnappsError(f"Unknown class name(s): {', '.join(unknown)}. Use COCO names such as person, dog, car.")
    return frozenset(ids)


def _as_array(image: Image.Image | np.ndarray | bytes | str | Path) -> np.ndarray:
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected an RGB uint8 array [H, W, 3], got {image.dtype} {image.shape}")
        return image
    if not isinstance(image, Image.Image):
        from cnnapps.images import load_image

        image = load_image(image)
    return np.asarray(image.convert("RGB") if image.mode != "RGB" else image)


def _shrink(arr: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Downscale so the longest side is at most ``max_side``; returns (array, scale <= 1)."""
    h, w = arr.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return arr, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(arr, size, interpolation=cv2.INTER_AREA), scale


def detect(
    loaded: Any,
    image: Image.Image | np.ndarray | bytes | str | Path,
    *,
    conf: float = 0.25,
    iou: float = 0.45,
    classes: Collection[str] | None = None,
    max_det: int = 300,
    input_size: int | None = None,
) -> Detections:
    """Detect objects in one image with a loaded detector.

    Args:
        loaded: a LoadedModel of a "detection" model (``cnnapps.load``).
        image: RGB PIL image or uint8 [H, W, 3] array (or bytes/path, decoded with the usual checks).
        conf: keep boxes whose score is above this (0..1).
        iou: per-class NMS threshold (boxes of one class overlapping more than this are merged).
        classes: keep only these COCO class names (None: all).
        max_det: at most this many boxes, best first.
        input_size: network input side for models that accept several (Yolo-Fastest: multiples
            of 32; default the model's own, 320).
    Returns:
        Detections with boxes in pixels of ``image``. Same as ``refine(infer(...), ...)``.
    """
    _check(conf, iou, max_det)
    start = time.perf_counter()
    allowed = resolve_classes(classes)
    raw = infer(loaded, image, conf=conf, input_size=input_size)
    det = _refine(raw, conf=conf, iou=iou, allowed=allowed, max_det=max_det)
    return replace(det, total_ms=1000.0 * (time.perf_counter() - start))


def _check(conf: float, iou: float, max_det: int) -> None:
    if not 0.0 <= conf <= 1.0 or not 0.0 < iou <= 1.0:
        raise CnnappsError(f"conf must be in [0, 1] and iou in (0, 1], got conf={conf}, iou={iou}")
    if max_det < 1:
        raise CnnappsError(f"max_det must be at least 1, got {max_det}")


def infer(
    loaded: Any,
    image: Image.Image | np.ndarray | bytes | str | Path,
    *,
    conf: float = 0.0,
    input_size: int | None = None,
) -> Detections:
    """The model's candidate boxes above ``conf`` before our NMS, class filter and max_det.

    The expensive half of :func:`detect`: pages cache it per (model, image, input size) and
    apply :func:`refine` when a threshold slider moves, so display settings never rerun the model.
    Darknet candidates start at OpenCV's 0.2 floor (see ``SCORE_FLOOR``).
    """
    start = time.perf_counter()
    arr = _as_array(image)
    family = loaded.spec.options.get("family")
    if family == "darknet":
        det = _infer_darknet(loaded, arr, conf=conf, input_size=input_size)
    elif family == "torchvision":
        det = _infer_torchvision(loaded, arr, conf=conf)
    else:
        raise ValueError(f"{loaded.spec.name} is not a detection model (options.family={family!r})")
    return replace(det, total_ms=1000.0 * (time.perf_counter() - start))


def refine(
    raw: Detections,
    *,
    conf: float = 0.25,
    iou: float = 0.45,
    classes: Collection[str] | None = None,
    max_det: int = 300,
) -> Detections:
    """Apply the score threshold, class filter, per-class NMS and max_det to :func:`infer`'s output."""
    _check(conf, iou, max_det)
    start = time.perf_counter()
    det = _refine(raw, conf=conf, iou=iou, allowed=resolve_classes(classes), max_det=max_det)
    return replace(det, total_ms=raw.total_ms + 1000.0 * (time.perf_counter() - start))


def _forward(loaded: Any, x: Any) -> tuple[Any, float]:
    _sync(loaded.device)
    t0 = time.perf_counter()
    out = loaded(x)
    _sync(loaded.device)
    return out, 1000.0 * (time.perf_counter() - t0)


def _infer_darknet(loaded: Any, arr: np.ndarray, *, conf: float, input_size: int | None) -> Detections:
    spec = loaded.spec
    side = int(input_size or spec.options.get("input_size", 320))
    if side % 32 or not 64 <= side <= 1024:
        raise CnnappsError(f"Input size must be a multiple of 32 between 64 and 1024, got {side}.")
    h, w = arr.shape[:2]
    small, _ = _shrink(arr, MAX_SIDE)  # boxes are fractions of the image: no scale to undo
    x = preprocess(small, side).to(loaded.device)
    out, forward_ms = _forward(loaded, x)
    rows = out[0].float().cpu()
    cand = candidates(rows, conf=conf)
    cls = torch.tensor(spec.options["coco_ids"], dtype=torch.int64)[cand.class_ids]
    boxes = (cand.boxes * torch.tensor([w, h, w, h], dtype=torch.float32)).numpy()
    order = np.argsort(-cand.scores.numpy(), kind="stable")
    heads, objectness, starts = [], [], []
    start = 0
    for info, stride in zip(loaded.module.head_infos, loaded.module.head_strides, strict=True):
        gh, gw = side // stride, side // stride
        a = len(info.anchors)
        objectness.append(rows[start : start + a * gh * gw, 4].reshape(a, gh, gw).numpy().copy())
        heads.append((stride, gh, gw, info.anchors))
        starts.append((start, a, gh, gw))
        start += a * gh * gw
    cells = np.zeros((len(cand.rows), 4), np.int64)
    for k, r in enumerate(cand.rows.tolist()):
        for head, (s0, a, gh, gw) in enumerate(starts):
            if s0 <= r < s0 + a * gh * gw:
                rel = r - s0
                cells[k] = (head, rel // (gh * gw), (rel // gw) % gh, rel % gw)
                break
    boxes, scores, cls_np, cells = boxes[order], cand.scores.numpy()[order], cls.numpy()[order], cells[order]
    n = len(order)
    trace = YoloTrace(
        heads=tuple(heads), objectness=tuple(objectness), input_size=(side, side),
        candidates=boxes.astype(np.float32), cand_scores=scores.astype(np.float32),
        cand_class_ids=cls_np.astype(np.int64), cand_cells=cells,
        suppressed_by=np.full(n, -1, np.int64), kept=np.arange(n, dtype=np.int64),
    )
    return _detections(spec.name, loaded.device, forward_ms, boxes, scores, cls_np, (w, h), (side, side),
                       trace=trace)


def _detections(name: str, device: Any, forward_ms: float, boxes: np.ndarray, scores: np.ndarray,
                cls: np.ndarray, image_size: tuple[int, int], input_size: tuple[int, int],
                masks: np.ndarray | None = None, trace: YoloTrace | None = None) -> Detections:
    names = coco_categories()
    return Detections(
        model_name=name,
        device=str(device),
        elapsed_ms=forward_ms,
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        scores=np.asarray(scores, np.float32),
        class_ids=np.asarray(cls, np.int64),
        labels=tuple(names[int(c)] for c in cls),
        image_size=image_size,
        input_size=input_size,
        masks=masks,
        trace=trace,
    )


def _refine(raw: Detections, *, conf: float, iou: float, allowed: frozenset[int] | None,
            max_det: int) -> Detections:
    m = raw.scores > conf
    if allowed is not None:
        m &= np.isin(raw.class_ids, list(allowed))
    idx = np.nonzero(m)[0]
    boxes = torch.from_numpy(raw.boxes[idx])
    scores = torch.from_numpy(raw.scores[idx])
    cls = torch.from_numpy(raw.class_ids[idx])
    keep_t = batched_nms(boxes, scores, cls, iou)[:max_det]  # sorted by score, best first
    keep = idx[keep_t.numpy()]
    trace = raw.trace
    if trace is not None:  # raw darknet detections are exactly the trace's candidates
        trace = _suppression(trace, idx, keep_t.numpy(), boxes, scores, cls, iou)
    return replace(
        raw,
        boxes=raw.boxes[keep],
        scores=raw.scores[keep],
        class_ids=raw.class_ids[keep],
        labels=tuple(raw.labels[i] for i in keep),
        masks=None if raw.masks is None else raw.masks[keep],
        trace=trace,
    )


def _suppression(tr: YoloTrace, idx: np.ndarray, keep: np.ndarray, boxes: torch.Tensor,
                 scores: torch.Tensor, cls: torch.Tensor, iou: float) -> YoloTrace:
    """The trace restricted to the candidates that passed the filters, with who-removed-whom.

    A candidate NMS removed is attributed to the best-scoring kept box of its class that
    overlaps it by more than ``iou`` (greedy NMS visits boxes by score).
    """
    suppressed_by = np.full(len(idx), -1, np.int64)
    if len(keep) and len(idx):
        keep_t = torch.from_numpy(keep)
        hit = (box_iou(boxes, boxes[keep_t]) > iou) & (cls[:, None] == cls[keep_t][None, :])
        hit &= scores[:, None] <= scores[keep_t][None, :]
        hit[keep_t] = False  # a kept box is suppressed by nobody
        # keep is in score order, so the first hit of a row is the best kept box that removed it
        first = hit.to(torch.uint8).argmax(1)
        removed = hit.any(1)
        suppressed_by[removed.numpy()] = first[removed].numpy()
    return replace(
        tr,
        candidates=tr.candidates[idx], cand_scores=tr.cand_scores[idx],
        cand_class_ids=tr.cand_class_ids[idx], cand_cells=tr.cand_cells[idx],
        suppressed_by=suppressed_by, kept=keep.astype(np.int64),
    )


def _infer_torchvision(loaded: Any, arr: np.ndarray, *, conf: float) -> Detections:
    h, w = arr.shape[:2]
    small, scale = _shrink(arr, MAX_SIDE)
    x = torch.from_numpy(np.array(small, copy=not small.flags.writeable)).permute(2, 0, 1).float().div_(255.0)
    out, forward_ms = _forward(loaded, [x.to(loaded.device)])
    pred = out[0]
    scores = pred["scores"].detach().float().cpu()
    sel = (scores > conf).nonzero().squeeze(1)
    sel = sel[torch.argsort(scores[sel], descending=True, stable=True)]
    boxes = pred["boxes"].detach().float().cpu()[sel] / scale
    cls = pred["labels"].detach().cpu().to(torch.int64)[sel]
    masks = None
    if "masks" in pred:
        mk = pred["masks"].detach().cpu()[sel, 0].numpy() > 0.5  # Mask R-CNN's usual 0.5 cut
        if scale != 1.0 and len(mk):
            mk = np.stack([cv2.resize(m_.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
                           for m_ in mk])
        masks = mk.reshape(len(sel), h, w)
    return _detections(loaded.spec.name, loaded.device, forward_ms, boxes.numpy(), scores[sel].numpy(),
                       cls.numpy(), (w, h), tuple(small.shape[:2]), masks=masks)


@dataclass(frozen=True, eq=False)
class VideoDetections:
    """A processed video: the annotated MP4, per-frame counts and the speed achieved.

    counts: one dict per frame (class name -> boxes); fps_source: the input's frame rate;
    fps_achieved: frames processed per second of wall time (decode + detect + draw + encode);
    truncated: True when ``max_frames`` stopped before the end of the video.
    """

    model_name: str
    device: str
    elapsed_ms: float
    video: bytes
    counts: tuple[dict[str, int], ...]
    n_frames: int
    fps_source: float
    fps_achieved: float
    width: int
    height: int
    truncated: bool

    def rows(self) -> list[dict[str, Any]]:
        """One dict per frame: frame, time_s and a column per class seen anywhere."""
        classes = sorted({c for frame in self.counts for c in frame})
        fps = self.fps_source or 1.0
        return [
            {"frame": i, "time_s": round(i / fps, 3), **{c: frame.get(c, 0) for c in classes}}
            for i, frame in enumerate(self.counts)
        ]


def detect_video(
    loaded: Any,
    src: bytes | str | Path,
    *,
    conf: float = 0.25,
    iou: float = 0.45,
    classes: Collection[str] | None = None,
    max_det: int = 300,
    input_size: int | None = None,
    max_frames: int | None = 300,
    progress: Callable[[int, int | None], None] | None = None,
    on_frame: Callable[[int, Detections], None] | None = None,
) -> VideoDetections:
    """Detect in every frame of a video and encode the annotated frames as H.264 MP4.

    ``progress(done, total)`` is called after each frame (total from the container, may be None);
    ``on_frame(index, detections)`` (0-based index) receives each frame's boxes, e.g. for a CSV.
    Raises InvalidVideo (a CnnappsError) for files that are not decodable videos.
    """
    from cnnapps.draw import draw_detections
    from cnnapps.video import encode_mp4, iter_frames, video_info

    info = video_info(src)
    total = info.n_frames or None
    if max_frames is not None and total is not None:
        total = min(total, max_frames)
    counts: list[dict[str, int]] = []
    start = time.perf_counter()

    def annotated() -> Iterator[np.ndarray]:
        for i, frame in enumerate(iter_frames(src, max_frames=max_frames), start=1):
            det = detect(loaded, frame, conf=conf, iou=iou, classes=classes, max_det=max_det,
                         input_size=input_size)
            counts.append(det.counts())
            if on_frame is not None:
                on_frame(i - 1, det)
            yield np.asarray(draw_detections(frame, det))
            if progress is not None:
                progress(i, total)

    video = encode_mp4(annotated(), fps=info.fps or 25.0)
    elapsed = time.perf_counter() - start
    truncated = max_frames is not None and len(counts) >= max_frames and info.n_frames > len(counts)
    return VideoDetections(
        model_name=loaded.spec.name,
        device=str(loaded.device),
        elapsed_ms=1000.0 * elapsed,
        video=video,
        counts=tuple(counts),
        n_frames=len(counts),
        fps_source=info.fps,
        fps_achieved=len(counts) / elapsed if elapsed > 0 else 0.0,
        width=info.width,
        height=info.height,
        truncated=truncated,
    )


def detection_cam(
    loaded: Any,
    image: Image.Image | np.ndarray,
    det: Detections,
    *,
    index: int | None = None,
    input_size: int | None = None,
) -> np.ndarray:
    """EigenCAM (Muhammad & Yeasin 2020, arXiv:2008.00299) of a detector on ``image``.

    EigenCAM needs no gradients or class target: it projects the target layers' activations on
    their first principal component, which suits detectors whose outputs are boxes, not logits.
    With ``index`` the map is renormalised inside that detection's box (and dimmed outside), as
    grad-cam's detection tutorial does, so the chosen object's evidence is readable.

    Returns float32 [H, W] in [0, 1] at the original image size. Raises CnnappsError for models
    without a CAM configuration.
    """
    from cnnapps.explain.gradcam import cam_heatmap

    spec = loaded.spec
    if spec.cam is None:
        raise CnnappsError(f"{spec.display_name} has no CAM layers configured: no EigenCAM for it.")
    arr = _as_array(image)
    h, w = arr.shape[:2]
    small, _ = _shrink(arr, MAX_SIDE)
    if spec.options.get("family") == "darknet":
        side = int(input_size or spec.options.get("input_size", 320))
        x = preprocess(small, side)
    else:
        x = torch.from_numpy(np.array(small, copy=not small.flags.writeable)).permute(2, 0, 1).float().div_(255.0)[None]
    # EigenCAM ignores targets (no backward pass); grad-cam still wants one callable per image.
    heat = cam_heatmap(loaded, x.to(loaded.device), None if spec.options.get("family") == "darknet"
                       else [lambda output: 0.0], method="eigencam")
    heat = cv2.resize(np.asarray(heat, np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    heat = np.clip(heat, 0.0, 1.0)
    if index is None:
        return heat
    x1, y1, x2, y2 = (int(round(v)) for v in det.boxes[index])
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
    out = heat * 0.25
    if x2 > x1 and y2 > y1:
        box = heat[y1:y2, x1:x2]
        lo, hi = float(box.min()), float(box.max())
        out[y1:y2, x1:x2] = (box - lo) / (hi - lo) if hi > lo else box
    return out.astype(np.float32)
